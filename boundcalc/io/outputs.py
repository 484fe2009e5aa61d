"""Output folders that never lose a user's files.

A report is written into a fresh temporary folder beside its target and moved into place only
when complete, so a failure or Ctrl-C leaves any earlier report intact. The folder then holds a
manifest (``boundcalc-manifest.json``) listing the files boundcalc wrote. Replacing an existing
folder (``--force``) is allowed only when it holds such a manifest and nothing else than the files
it lists; the current folder, the home folder and a filesystem root are never targets. Every
check runs before anything on disk changes (:func:`check_output_folder`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["MANIFEST", "OutputFolderError", "check_output_folder", "staged_output_folder", "read_manifest",
           "remove_staging_folders"]

#: The staging folders of the writes in progress: a process that must end at once (the CLI's SIGTERM
#: watchdog, whose os._exit skips every ``finally``) removes them first with :func:`remove_staging_folders`.
_STAGING: set[Path] = set()

#: Name of the manifest a boundcalc output folder holds.
MANIFEST = "boundcalc-manifest.json"


class OutputFolderError(ValueError):
    """An output folder boundcalc must not write or replace; the message says why."""


def read_manifest(folder: Path) -> list[str] | None:
    """The files listed by ``folder``'s manifest, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("tool") == "boundcalc" else None
    if not isinstance(files, list) or not all(isinstance(f, str) and "/" not in f and f not in ("", ".", "..")
                                              for f in files):
        return None
    return files


def _writable_ancestor(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent
    return Path(path.anchor or ".")  # pragma: no cover - the root always exists


def check_output_folder(out: str | os.PathLike, *, force: bool, name: str = "out") -> Path:
    """Validate ``out`` as the target of a boundcalc output folder; changes nothing on disk.

    Raises
    ------
    OutputFolderError
        ``out`` is the current folder, the home folder or a root; an existing file; a non-empty
        folder without a boundcalc manifest, or with files its manifest does not list; a
        boundcalc folder while ``force`` is False; or a path whose parent cannot be written.
    """
    out = Path(out)
    if out.is_symlink() and out.is_dir():  # a link to a folder: the folder is the target (the link stays)
        out = out.resolve()
    resolved = out.resolve()
    protected = {Path.cwd().resolve(): "the current folder", Path.home().resolve(): "the home folder",
                 Path(resolved.anchor): "a filesystem root"}
    if resolved in protected:
        raise OutputFolderError(f"{name}: {out} is {protected[resolved]}; boundcalc writes its outputs into a "
                                "folder of their own (for example reports/NAME)")
    if out.exists() or out.is_symlink():
        if out.is_symlink() and not out.exists():
            raise OutputFolderError(f"{name}: {out} is a link to {os.readlink(out)}, which does not exist")
        if not out.is_dir():
            raise OutputFolderError(f"{name}: {out} exists and is not a folder")
        entries = sorted(p.name for p in out.iterdir())
        if entries:
            listed = read_manifest(out)
            if listed is None:
                raise OutputFolderError(f"{name}: {out} is not empty and holds no boundcalc manifest ({MANIFEST}); "
                                        "boundcalc replaces only folders it wrote: choose another folder")
            # Ours: a regular file the manifest names. A folder or link under a listed name is not.
            ours = {e for e in entries if e in set(listed) | {MANIFEST} and (out / e).is_file()
                    and not (out / e).is_symlink()}
            extra = [e for e in entries if e not in ours]
            if extra:
                raise OutputFolderError(f"{name}: {out} holds files boundcalc did not write ({', '.join(extra[:5])}"
                                        f"{' …' if len(extra) > 5 else ''}); move them or choose another folder")
            if not force:
                raise OutputFolderError(f"{name}: {out} already holds a boundcalc report; to replace it, "
                                        "pass --force (in Python: force=True)")
    base = _writable_ancestor(out.parent if out.parent != out else out)
    if not base.is_dir():
        raise OutputFolderError(f"{name}: cannot create {out}: {base} is not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{name}: cannot write in {base}: permission denied")
    return out


@contextlib.contextmanager
def staged_output_folder(out: str | os.PathLike, *, force: bool, name: str = "out") -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success write the manifest and move it into place.

    On any exception (KeyboardInterrupt included) the temporary folder is removed and ``out`` is
    left as it was. An existing boundcalc folder at ``out`` is replaced only after the new one is
    complete, and only the files its manifest lists are deleted.
    """
    out = check_output_folder(out, force=force, name=name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.boundcalc-new-", dir=out.parent))
    _STAGING.add(tmp)
    try:
        yield tmp
        files = sorted(p.name for p in tmp.iterdir())
        (tmp / MANIFEST).write_text(json.dumps({"tool": "boundcalc", "files": files}, indent=1))
        check_output_folder(out, force=force, name=name)  # nothing may have appeared meanwhile
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.boundcalc-old-", dir=out.parent))
            os.replace(out, old / "previous")
            try:
                os.replace(tmp, out)
            except BaseException:  # the previous report goes back where it was
                os.replace(old / "previous", out)
                old.rmdir()
                raise
            _remove_listed(old / "previous")
            with contextlib.suppress(OSError):  # kept if it still holds something we did not write
                old.rmdir()
        else:
            os.replace(tmp, out)
    finally:
        _STAGING.discard(tmp)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_staging_folders() -> None:
    """Delete the staging folders of the writes still in progress (only boundcalc's own ``mkdtemp`` folders;
    ``out`` itself is never touched, so it stays as it was)."""
    for tmp in list(_STAGING):
        shutil.rmtree(tmp, ignore_errors=True)
        _STAGING.discard(tmp)


def _remove_listed(folder: Path) -> None:
    """Delete the files ``folder``'s manifest lists, the manifest, then the folder if it is empty."""
    for fname in read_manifest(folder) or []:
        path = folder / fname
        if path.is_file() and not path.is_symlink():  # checked before the swap; anything else is kept
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        (folder / MANIFEST).unlink()
    with contextlib.suppress(OSError):  # not empty: something appeared that we did not write; keep it
        folder.rmdir()
