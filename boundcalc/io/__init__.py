"""Input and output: reading arrays safely, output folders that never lose a user's file,
memory guards, and the JSON Schema of the report's results.

Stage 1, the lowest but ``_core`` and the formula book: it imports nothing else of boundcalc.
"""

from .files import (  # noqa: F401
    InputFileError,
    check_input_file,
    load_npy,
    load_npz,
)
from .memory import (  # noqa: F401
    ENV_VAR,
    MemoryLimitError,
    available_bytes,
    float_bytes,
    format_bytes,
    parse_bytes,
    require_memory,
)
from .outputs import (  # noqa: F401
    MANIFEST,
    OutputFolderError,
    check_output_folder,
    read_manifest,
    staged_output_folder,
)

__all__ = [
    'InputFileError',
    'load_npy',
    'load_npz',
    'check_input_file',
    'MemoryLimitError',
    'available_bytes',
    'require_memory',
    'format_bytes',
    'parse_bytes',
    'float_bytes',
    'ENV_VAR',
    'MANIFEST',
    'OutputFolderError',
    'check_output_folder',
    'staged_output_folder',
    'read_manifest',
]
