"""One output file written atomically (:class:`OutputFile`, the HTML report) and :func:`atomic_write`.

A file is claimed by creating ``.NAME.approval-sim-partial`` exclusively, written there, and put in place by a
hard link, which fails if the name was taken meanwhile; ``force`` replaces only a file carrying approval-sim's
marker near its start.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from sim.core.output_places import (
    Claim,
    OutputError,
    OutputExists,
    has_marker,
    remove_created,
    symlink_refused,
    umask,
)


class OutputFile(Claim):
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
        self.marker = marker
        self._claim(target, force, inputs, folder=False, create=self._create, refuse=self._refuse_folder)

    def _create(self, tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the claim
        self._file: IO[bytes] = os.fdopen(fd, "wb")

    def _refuse_folder(self) -> None:
        if self.target.is_dir():
            raise self._is_folder()

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
            raise symlink_refused(self.target, self.shown)
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
            remove_created(self._created)
            self._claimed = False


def atomic_write(path: Path, write: Callable[[IO[Any]], object], binary: bool = True) -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file in the same folder, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes files private; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
