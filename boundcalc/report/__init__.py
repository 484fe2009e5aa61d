"""The verification report: sections (what is computed and said), page assembly, and
rendering to Markdown, HTML, TeX and JSON.

Stage 6, the last stage of the flow.
"""

from .build import (  # noqa: F401
    SECTIONS,
    Section,
    build_report,
    write_report,
)
from .render import (  # noqa: F401
    summary_markdown,
    to_html,
    to_tex,
    verdict_summary,
)
from .sections import (  # noqa: F401
    EXPERIMENTS,
    IMAGING,
    PHASE_GRID,
    imaging_section,
    phase_section,
    widths_section,
)

__all__ = [
    'verdict_summary',
    'summary_markdown',
    'to_html',
    'to_tex',
    'imaging_section',
    'widths_section',
    'phase_section',
    'EXPERIMENTS',
    'IMAGING',
    'PHASE_GRID',
    'Section',
    'build_report',
    'write_report',
    'SECTIONS',
]
