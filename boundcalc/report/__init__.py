"""The verification report: sections (what is computed and said), page assembly, and
rendering to Markdown, HTML, TeX and JSON.

Stage 7, the last stage of the flow.
"""

from .build import (  # noqa: F401
    build_report,
    default_inputs,
    load_config,
    write_report,
)
from .checks import PHASE_GRID  # noqa: F401
from .render import (  # noqa: F401
    Section,
    cell,
    claims_table,
    md_table,
    summary_markdown,
    to_html,
    to_tex,
    verdict_summary,
)
from .sections import (  # noqa: F401
    EXPERIMENTS,
    IMAGING,
    SECTIONS,
    cones_section,
    imaging_section,
    initialization_section,
    phase_section,
    rates_section,
    spectrum_section,
    verification_section,
    widths_section,
)

__all__ = [
    'Section',
    'md_table',
    'cell',
    'claims_table',
    'verdict_summary',
    'summary_markdown',
    'to_html',
    'to_tex',
    'spectrum_section',
    'initialization_section',
    'rates_section',
    'verification_section',
    'cones_section',
    'SECTIONS',
    'imaging_section',
    'widths_section',
    'phase_section',
    'EXPERIMENTS',
    'IMAGING',
    'PHASE_GRID',
    'build_report',
    'write_report',
    'load_config',
    'default_inputs',
]
