"""Sphinx configuration of boundcalc's documentation (`sphinx-build -W docs docs/_build`).

Everything is built offline: formulas are MathML (latex2mathml, through the small extension in
``_ext/mathml.py``), never a script from a CDN; the API reference comes from the docstrings, the CLI
reference from the parser, the formula book from :data:`boundcalc.FORMULAS`, and the gallery from
``examples/gallery``, whose scripts run during the build.
"""

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the gallery's arrays are small (see the report)

import boundcalc  # noqa: E402

project = "boundcalc"
author = "boundcalc developers"
copyright = "2026, the boundcalc developers"  # without it the footer reads "©. |"
# Options are copied from the CLI reference: "--size" must stay two hyphens, never an en dash.
smartquotes = False
release = version = boundcalc.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
    "mathml",
    "formula_book",
    "command_output",
]
html_math_renderer = "mathml"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# sphinx-gallery's timing pages load DataTables from a CDN: left out, the site stays offline
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.json", "auto_examples/*.md5", "sg_execution_times.rst",
                    "auto_examples/sg_execution_times.rst"]
myst_heading_anchors = 3
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# furo: readable on a phone and offline (its assets ship in the package; no web font, no CDN)
html_theme = "furo"
html_static_path: list[str] = []
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples" / "gallery"),
    "gallery_dirs": "auto_examples",
    # the deepinv example runs where deepinv is installed, and is shown (not run) elsewhere
    "filename_pattern": r"/(plot_|deepinv_)" if importlib.util.find_spec("deepinv") else r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}
suppress_warnings = ["myst.header"]
