"""Where approval-sim may write an output, and how it recognises its own.

Every output folder holds a marker file, ``.approval-sim`` (:data:`MARKER`), naming the program and the files it
wrote; a single file (the HTML report) carries its marker near its start.  An output is built beside its
target under ``.NAME.approval-sim-partial`` (:data:`PARTIAL`), created exclusively: that is the claim on the
target.  This module holds the checks :class:`sim.core.output.OutputDir` and
:class:`sim.core.output_file.OutputFile` share: refused places (inputs, the current folder and those above it,
symbolic links), parent folders made and removed again, and the errors that name what is wrong.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

#: the marker file of an output folder: JSON with the generator and the files it wrote
MARKER = ".approval-sim"

#: suffix of the partial folder (or file) that claims a target while its output is being written
PARTIAL = "approval-sim-partial"

#: how much of an existing single file is searched for its marker
_HEAD = 4096


class OutputError(Exception):
    """The output cannot be written where it was asked for (the message says why and what is allowed)."""


class OutputExists(OutputError):
    """The output target holds an earlier output of approval-sim, and replacing it was not asked for."""


@functools.cache
def generator() -> str:
    """``approval-sim VERSION``: what the markers name as the writer."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"approval-sim {version('approval-sim')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "approval-sim"


def place(target: str | Path) -> Path:
    """The absolute target: its folder with symbolic links resolved, its own name kept (a link is refused)."""
    given = Path(target)
    if given.name in ("", ".", ".."):  # ".", "..", "/", "a/..": only a full resolution gives the folder's name
        return given.resolve()
    return given.parent.resolve() / given.name


def refuse_places(real: Path, shown: Path, inputs: Iterable[str | Path], folder: bool) -> None:
    """Refuse the root, the current folder and its ancestors, and a target that is or holds an input."""
    if real.parent == real:
        raise OutputError(f"{shown} is the root folder; give a new folder for the output")
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the current folder was removed: nothing to protect there
        cwd = None
    if folder and cwd is not None and (real == cwd or real in cwd.parents):
        raise OutputError(
            f"{shown} is the current folder or holds it; give a new folder (e.g. {shown / 'out'}) for the output"
        )
    for name in inputs:
        for path in (Path(os.path.abspath(name)), Path(name).resolve()):  # the name given, and the file it is
            if path != real and not (folder and real in path.parents):
                continue
            what = "is" if path == real else f"holds {name},"
            raise OutputError(
                f"{shown} {what} an input of this command (a scenario file or a file it extends); "
                "approval-sim never writes over its inputs: choose another output " + ("folder" if folder else "file")
            )


def symlink_refused(path: Path, shown: Path) -> OutputError:
    return OutputError(
        f"{shown} is a symbolic link (to {os.readlink(path)}); approval-sim does not write through links: "
        "give the path it points to, or a new one"
    )


def make_parents(folder: Path, shown: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those created (to remove them if the output fails)."""
    missing = []
    p = folder
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    if not p.is_dir():
        raise OutputError(f"cannot write {shown}: {p} is a file, not a folder")
    created: list[Path] = []
    for d in reversed(missing):
        try:
            os.mkdir(d)
        except FileExistsError:  # made meanwhile by someone else: not ours to remove
            continue
        except OSError as e:
            remove_created(created)
            raise cannot_write(shown, d.parent, e) from None
        created.append(d)
    return created


def remove_created(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            break  # not empty (someone else's files): keep it and its parents


def cannot_write(shown: Path, folder: Path, e: OSError) -> OutputError:
    if isinstance(e, PermissionError) or e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return OutputError(
            f"cannot write {shown}: {folder} is not writable ({e.strerror}); choose a place you can write to"
        )
    return OutputError(f"cannot write {shown} in {folder}: {e.strerror or e}")


def busy(shown: Path, partial: Path) -> OutputError:
    return OutputError(
        f"another approval-sim run is writing {shown} (its unfinished output is {partial}); wait for it to "
        f"finish, or remove {partial} if no run is writing it (one was killed)"
    )


def read_marker(folder: Path) -> list[str] | None:
    """The files an approval-sim output folder lists in its marker; None if it has no valid marker."""
    path = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("generator", "")).startswith("approval-sim"):
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(x, str) and plain_name(x) for x in files):
        return None  # (only names of files in the folder itself: nothing elsewhere is ever removed)
    return files


def plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and os.sep not in name and (os.altsep is None or os.altsep not in name)


def has_marker(path: Path, marker: bytes) -> bool:
    """Whether the file ``path`` carries ``marker`` near its start (how approval-sim knows a file it wrote)."""
    try:
        with open(path, "rb") as f:
            return marker in f.read(_HEAD)
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def umask() -> int:
    """The process's file-creation mask (read once): outputs get the permissions a plain file would."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Claim:
    """An output claimed on its target: written whole by ``commit``, or removed by ``abort`` (also when the
    ``with`` block it is the context of ends without a commit, by an error or a signal)."""

    def _claim(
        self,
        target: str | Path,
        force: bool,
        inputs: Iterable[str | Path],
        *,
        folder: bool,
        create: Callable[[Path], None],
        refuse: Callable[[], None] = lambda: None,
    ) -> None:
        """Claim ``target``: refuse the places no output may go (and what ``refuse`` refuses), make its parent
        folders, then ``create`` the partial output beside it exclusively (a second claim fails there), and
        find whether an earlier output is to be replaced (:meth:`_check_target`)."""
        self.shown = Path(target)
        self.target = place(target)
        self.force = force
        self._claimed = self._done = self._replace = False
        refuse_places(self.target, self.shown, inputs, folder=folder)
        if os.path.islink(self.target):
            raise symlink_refused(self.target, self.shown)
        refuse()
        self._created = make_parents(self.target.parent, self.shown)
        self.tmp = self.target.parent / f".{self.target.name}.{PARTIAL}"
        try:
            create(self.tmp)
        except FileExistsError:
            remove_created(self._created)
            raise busy(self.shown, self.tmp) from None
        except OSError as e:
            remove_created(self._created)
            raise cannot_write(self.shown, self.target.parent, e) from None
        self._claimed = True
        try:
            self._replace = self._check_target()
        except BaseException:
            self.abort()
            raise

    def _check_target(self) -> bool:
        """Whether the target holds an earlier output to replace; raises if it may not be written."""
        raise NotImplementedError

    def abort(self) -> None:
        """Remove what was written so far."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._done:
            self.abort()
