"""Outputs written atomically, and only where approval-sim owns them.

An output folder (:class:`OutputDir`) is built in a hidden *partial* folder beside the target,
``.NAME.approval-sim-partial``.  Creating it (``os.mkdir``, which fails if it exists) is the run's claim on
the target: a second run on the same target cannot create it and stops at once, before it simulates.  When
the output is complete the partial folder is renamed onto the target; a rename never replaces a non-empty
folder, so whatever appeared there meanwhile is kept and the run fails instead.

Every output folder holds a marker file, ``.approval-sim``, naming the program and the files it wrote.
``force`` replaces only a folder with that marker that holds nothing but the files it lists, never a folder
holding an input of the command, the current folder or one above it.  A single file (:class:`OutputFile`,
the HTML report) follows the same rules: its own marker is a string near its start, it is claimed by
creating ``.NAME.approval-sim-partial`` exclusively, and a new file is put in place by a hard link, which
fails if the name was taken meanwhile.

Every refusal is an :class:`OutputError` naming the path, what is wrong and what is allowed; nothing is
left behind on any failure (the partial folder or file and any parent folders created are removed).
"""

from __future__ import annotations

import csv
import errno
import functools
import json
import math
import os
import shutil
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter

#: the marker file of an output folder: JSON with the generator and the files it wrote
MARKER = ".approval-sim"
#: suffix of the partial folder (or file) that claims a target while its output is being written
PARTIAL = "approval-sim-partial"
#: how much of an existing single file is searched for its marker
_HEAD = 4096


#: how a spreadsheet recognises a formula (OWASP, "CSV injection"): a text cell starting so is neutralised
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with one of
    :data:`FORMULA_STARTS` gets a leading ``'`` (as OWASP recommends); anything else is returned as it is."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


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


# -- where a target is, and what may not be written over ----------------------------------------------------


def _place(target: str | Path) -> Path:
    """The absolute target: its folder with symbolic links resolved, its own name kept (a link is refused)."""
    given = Path(target)
    if given.name in ("", ".", ".."):  # ".", "..", "/", "a/..": only a full resolution gives the folder's name
        return given.resolve()
    return given.parent.resolve() / given.name


def _refuse_places(real: Path, shown: Path, inputs: Iterable[str | Path], folder: bool) -> None:
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


def _symlink(path: Path, shown: Path) -> OutputError:
    return OutputError(
        f"{shown} is a symbolic link (to {os.readlink(path)}); approval-sim does not write through links: "
        "give the path it points to, or a new one"
    )


def _make_parents(folder: Path, shown: Path) -> list[Path]:
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
            _remove_created(created)
            raise _cannot_write(shown, d.parent, e) from None
        created.append(d)
    return created


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            break  # not empty (someone else's files): keep it and its parents


def _cannot_write(shown: Path, folder: Path, e: OSError) -> OutputError:
    if isinstance(e, PermissionError) or e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return OutputError(
            f"cannot write {shown}: {folder} is not writable ({e.strerror}); choose a place you can write to"
        )
    return OutputError(f"cannot write {shown} in {folder}: {e.strerror or e}")


def _busy(shown: Path, partial: Path) -> OutputError:
    return OutputError(
        f"another approval-sim run is writing {shown} (its unfinished output is {partial}); wait for it to "
        f"finish, or remove {partial} if no run is writing it (one was killed)"
    )


# -- output folders ------------------------------------------------------------------------------------------


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
    if not isinstance(files, list) or not all(isinstance(x, str) and _plain_name(x) for x in files):
        return None  # (only names of files in the folder itself: nothing elsewhere is ever removed)
    return files


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and os.sep not in name and (os.altsep is None or os.altsep not in name)


class OutputDir:
    """A folder whose files appear only when :meth:`commit` is called, written only where approval-sim may.

    Files go to the partial folder :attr:`tmp` beside the target; :meth:`commit` renames it into place
    (replacing an earlier output of approval-sim only with ``force``); :meth:`abort` removes it.  Used as a
    context manager, leaving without a commit aborts.

    Args:
        target: the output folder.
        force: replace an earlier approval-sim output folder there.
        inputs: the files the command reads (scenario files and what they extend): never written over.

    Raises:
        OutputError: at once, if the target cannot be written or is not approval-sim's to replace.
    """

    def __init__(self, target: str | Path, force: bool = False, inputs: Iterable[str | Path] = ()):
        self.shown = Path(target)
        self.target = _place(target)
        self.force = force
        self._files: list[Any] = []
        self._claimed = self._done = False
        self._replace = False
        _refuse_places(self.target, self.shown, inputs, folder=True)
        if os.path.islink(self.target):
            raise _symlink(self.target, self.shown)
        self._created = _make_parents(self.target.parent, self.shown)
        self.tmp = self.target.parent / f".{self.target.name}.{PARTIAL}"
        try:
            os.mkdir(self.tmp)  # the claim: fails if another run holds it
        except FileExistsError:
            _remove_created(self._created)
            raise _busy(self.shown, self.tmp) from None
        except OSError as e:
            _remove_created(self._created)
            raise _cannot_write(self.shown, self.target.parent, e) from None
        self._claimed = True
        try:
            self._replace = self._check_target()
        except BaseException:
            self.abort()
            raise

    def _check_target(self) -> bool:
        """Whether the target holds an earlier output to replace; raises if it may not be written."""
        try:
            mode = os.lstat(self.target).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(mode):
            raise _symlink(self.target, self.shown)
        if not stat.S_ISDIR(mode):
            raise OutputError(f"{self.shown} is a file, not a folder; give a new folder for the output")
        try:
            entries = list(os.scandir(self.target))
        except OSError as e:
            raise OutputError(f"cannot read the folder {self.shown}: {e.strerror or e}") from None
        if not entries:
            return False  # an empty folder: the output takes its place
        written = read_marker(self.target)
        if written is None:
            if self.force:
                raise OutputError(
                    f"{self.shown} was not written by approval-sim (it has no {MARKER} marker); --force replaces "
                    "only an output folder approval-sim wrote: choose a new folder, or empty this one yourself"
                )
            raise OutputExists(
                f"{self.shown} exists and is not empty; give a new or empty folder "
                "(--force replaces only an output folder approval-sim wrote)"
            )
        extra = sorted(
            e.name + ("/" if e.is_dir(follow_symlinks=False) else "")
            for e in entries
            if e.name != MARKER and (e.name not in written or not e.is_file(follow_symlinks=False))
        )
        if extra:
            raise OutputError(
                f"{self.shown} holds files approval-sim did not write ({', '.join(extra[:5])}"
                f"{', ...' if len(extra) > 5 else ''}); it replaces only its own output: move them out, or "
                "choose another folder"
            )
        if not self.force:
            raise OutputExists(f"{self.shown} holds an earlier approval-sim output; use --force to replace it")
        if not os.access(self.target, os.W_OK | os.X_OK):
            raise OutputError(
                f"{self.shown} is read-only, so its earlier output cannot be removed; make it writable, or "
                "choose another folder"
            )
        return True

    def path(self, name: str) -> Path:
        """Path of ``name`` inside the partial folder."""
        return self.tmp / name

    def csv_writer(self, name: str, header: Iterable[str]) -> CsvWriter:
        """An open csv.writer on ``name`` with ``header`` written; closed at commit."""
        f = open(self.path(name), "w", newline="", encoding="utf-8")
        self._files.append(f)
        w = csv.writer(f)
        w.writerow(list(header))
        return w

    def write_json(self, name: str, data: object) -> None:
        """Write ``data`` as indented UTF-8 strict JSON to ``name`` inside the partial folder: a number that is
        not finite (NaN, infinity, which JSON does not have) is written as null."""
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(_finite(data), f, indent=2, ensure_ascii=False, allow_nan=False)
            f.write("\n")

    def _close(self) -> None:
        for f in self._files:
            f.close()
        self._files.clear()

    def commit(self) -> Path:
        """Move the finished folder into place (with the permissions a normal mkdir would give).

        Raises:
            OutputError: the target changed meanwhile so that it may no longer be written (nothing of it is
                lost); the output is removed.
        """
        try:
            self._close()
            names = sorted(n for n in os.listdir(self.tmp) if n != MARKER)
            self.write_json(MARKER, {"generator": generator(), "files": names})  # the same for the same output
            os.chmod(self.tmp, 0o777 & ~_umask())
            if self._replace and self._check_target():  # (raises if it is no longer approval-sim's)
                self._swap()
            else:
                try:
                    os.rename(self.tmp, self.target)  # never replaces a non-empty folder, nor a file
                except OSError as e:
                    raise OutputError(
                        f"{self.shown} appeared while the output was being made and was left as it is "
                        f"({e.strerror}); the output was not written"
                    ) from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.shown

    def _swap(self) -> None:
        """Replace the earlier output: move it aside, move the new one in, remove the earlier one's files."""
        written = read_marker(self.target) or []
        old = self.target.parent / f".{self.target.name}.approval-sim-old-{os.getpid()}"
        try:
            os.rename(self.target, old)
        except OSError as e:
            raise OutputError(f"cannot replace {self.shown}: {e.strerror or e}") from None
        try:
            os.rename(self.tmp, self.target)
        except OSError as e:
            os.rename(old, self.target)
            raise OutputError(f"cannot replace {self.shown}: {e.strerror or e}") from None
        try:
            for name in (*written, MARKER):
                (old / name).unlink(missing_ok=True)
            os.rmdir(old)  # fails if anything not approval-sim's appeared meanwhile: that is kept
        except OSError as e:
            warnings.warn(
                f"{self.shown} was replaced, but its earlier output could not all be removed ({e.strerror}); "
                f"what is left is in {old}",
                stacklevel=3,
            )

    def abort(self) -> None:
        """Remove everything written so far (and the parent folders this output created)."""
        self._close()
        if self._claimed and not self._done:
            shutil.rmtree(self.tmp, ignore_errors=True)
            _remove_created(self._created)
            self._claimed = False

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._done:
            self.abort()


# -- single files -------------------------------------------------------------------------------------------


def has_marker(path: Path, marker: bytes) -> bool:
    """Whether the file ``path`` carries ``marker`` near its start (how approval-sim knows a file it wrote)."""
    try:
        with open(path, "rb") as f:
            return marker in f.read(_HEAD)
    except OSError:
        return False


class OutputFile:
    """One file that appears only when :meth:`commit` is called, written only where approval-sim may.

    The content goes to the partial file :attr:`tmp` beside the target, created exclusively (the claim);
    :meth:`commit` links it into place, or with ``force`` replaces an earlier file of approval-sim, one that
    holds ``marker`` in its first 4 KiB.  Used as a context manager, leaving without a commit aborts.

    Args:
        target: the file to write.
        force: replace an earlier file approval-sim wrote there.
        inputs: the files the command reads: never written over.
        marker: the bytes that mark a file as written by approval-sim (what it writes must hold them).

    Raises:
        OutputError: at once, if the target cannot be written or is not approval-sim's to replace.
    """

    def __init__(self, target: str | Path, force: bool = False, inputs: Iterable[str | Path] = (), *, marker: bytes):
        self.shown = Path(target)
        self.target = _place(target)
        self.force = force
        self.marker = marker
        self._claimed = self._done = False
        self._replace = False
        _refuse_places(self.target, self.shown, inputs, folder=False)
        if os.path.islink(self.target):
            raise _symlink(self.target, self.shown)
        if self.target.is_dir():
            raise self._is_folder()
        self._created = _make_parents(self.target.parent, self.shown)
        self.tmp = self.target.parent / f".{self.target.name}.{PARTIAL}"
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the claim
        except FileExistsError:
            _remove_created(self._created)
            raise _busy(self.shown, self.tmp) from None
        except OSError as e:
            _remove_created(self._created)
            raise _cannot_write(self.shown, self.target.parent, e) from None
        self._claimed = True
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        try:
            self._replace = self._check_target()
        except BaseException:
            self.abort()
            raise

    def _is_folder(self) -> OutputError:
        return OutputError(
            f"{self.shown} is a folder; give the name of the file to write, e.g. {self.shown / 'report.html'}"
        )

    def _check_target(self) -> bool:
        """Whether the target holds an earlier file to replace; raises if it may not be written."""
        try:
            mode = os.lstat(self.target).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(mode):
            raise _symlink(self.target, self.shown)
        if stat.S_ISDIR(mode):
            raise self._is_folder()
        if not stat.S_ISREG(mode) or not has_marker(self.target, self.marker):
            raise OutputError(
                f"{self.shown} exists and was not written by approval-sim; it is not written over: choose "
                "another name (--force replaces only a file approval-sim wrote)"
            )
        if not self.force:
            raise OutputExists(f"{self.shown} holds an earlier approval-sim output; use --force to replace it")
        return True

    def write(self, data: bytes | str) -> None:
        """Append ``data`` (text is written as UTF-8) to the partial file."""
        self._file.write(data.encode("utf-8") if isinstance(data, str) else data)

    def commit(self) -> Path:
        """Put the finished file in place.

        Raises:
            OutputError: the target changed meanwhile so that it may no longer be written (it is kept as it
                is); the partial file is removed.
        """
        try:
            self._file.close()
            if self._replace and self._check_target():  # still approval-sim's (raises otherwise)
                os.replace(self.tmp, self.target)
            else:
                self._link()
        except OSError as e:
            self.abort()
            raise OutputError(f"cannot write {self.shown}: {e.strerror or e}") from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.shown

    def _link(self) -> None:
        """Put the partial file in place under a name nobody took meanwhile (no check-then-act)."""
        try:
            os.link(self.tmp, self.target)
        except FileExistsError:
            raise OutputError(
                f"{self.shown} appeared while the output was being made and was left as it is; the output "
                "was not written"
            ) from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                raise
            # a file system without hard links: the best left is a rename after a last look
            if os.path.lexists(self.target):
                raise OutputError(f"{self.shown} appeared while the output was being made; it was left as it is") from e
            os.rename(self.tmp, self.target)
            return
        os.unlink(self.tmp)

    def abort(self) -> None:
        """Remove the partial file (and the parent folders this output created)."""
        if self._claimed and not self._done:
            self._file.close()
            Path(self.tmp).unlink(missing_ok=True)
            _remove_created(self._created)
            self._claimed = False

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._done:
            self.abort()


def _finite(data: Any) -> Any:
    """``data`` with every float that is not finite replaced by None (JSON's null)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[IO[Any]], object], binary: bool = True) -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file in the same folder, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
