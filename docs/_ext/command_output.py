"""The ``command-output`` directive: a boundcalc command and what it prints, run while the site is built.

The quick start shows commands with their output; run here, the output is what this version prints,
never a copy typed by hand that drifts from it. The command runs in-process (``boundcalc.cli.main``)
in a temporary folder; a non-zero exit status other than those listed in ``:statuses:`` fails the build.
"""

import contextlib
import io
import os
import shlex
import tempfile

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


class CommandOutput(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"statuses": directives.unchanged, "lines": directives.positive_int}

    def run(self):
        from boundcalc.cli import main
        argv = shlex.split(self.arguments[0])
        if argv[0] != "boundcalc":
            raise self.error("command-output runs boundcalc commands only")
        allowed = {int(s) for s in self.options.get("statuses", "0").split()}
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    status = main(argv[1:])
            finally:
                os.chdir(here)
        if status not in allowed:
            raise self.error(f"{self.arguments[0]!r} exited {status}: {err.getvalue().strip()}")
        text = out.getvalue().rstrip("\n")
        limit = self.options.get("lines")
        if limit is not None and text.count("\n") >= limit:
            shown = text.splitlines()[:limit]
            text = "\n".join(shown + [f"… ({len(out.getvalue().splitlines()) - limit} more lines)"])
        block = f"$ {self.arguments[0]}\n{text}" + (f"\n[exit status {status}]" if status else "")
        node = nodes.literal_block(block, block)
        node["language"] = "console"
        return [node]


def setup(app):
    app.add_directive("command-output", CommandOutput)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
