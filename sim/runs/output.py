"""Atomic output folders: everything is written to a temporary folder and moved into place when complete."""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter


#: how a spreadsheet recognises a formula (OWASP, "CSV injection"): a text cell starting so is neutralised
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with one of
    :data:`FORMULA_STARTS` gets a leading ``'`` (as OWASP recommends); anything else is returned as it is."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


class OutputError(Exception):
    """The output folder cannot be written."""


class OutputExists(OutputError):
    """The output folder exists and is not empty, and overwriting was not asked for."""


class OutputDir:
    """A folder whose files appear only when :meth:`commit` is called.

    Files go to a hidden temporary folder beside the target; :meth:`commit`
    renames it into place (replacing an old one only with ``force``);
    :meth:`abort` removes it.  Used as a context manager, an exception aborts.
    """

    def __init__(self, target: str | Path, force: bool = False):
        self.target = Path(target)
        if self.target.exists() and not self.target.is_dir():
            raise OutputError(f"{self.target} is a file, not a folder")
        if self.target.exists() and any(self.target.iterdir()) and not force:
            raise OutputExists(f"{self.target} exists and is not empty; use --force to replace it")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent))
        except OSError as e:
            raise OutputError(f"cannot create the output folder {self.target}: {e.strerror or e}") from None
        self._files: list[Any] = []

    def path(self, name: str) -> Path:
        """Path of ``name`` inside the temporary folder."""
        return self.tmp / name

    def csv_writer(self, name: str, header: Iterable[str]) -> CsvWriter:
        """An open csv.writer on ``name`` with ``header`` written; closed at commit."""
        f = open(self.path(name), "w", newline="", encoding="utf-8")
        self._files.append(f)
        w = csv.writer(f)
        w.writerow(list(header))
        return w

    def write_json(self, name: str, data: object) -> None:
        """Write ``data`` as indented UTF-8 strict JSON to ``name`` inside the temporary folder: a number that is
        not finite (NaN, infinity, which JSON does not have) is written as null."""
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(_finite(data), f, indent=2, ensure_ascii=False, allow_nan=False)
            f.write("\n")

    def _close(self) -> None:
        for f in self._files:
            f.close()
        self._files.clear()

    def commit(self) -> Path:
        """Move the finished folder into place (with the permissions a normal mkdir would give)."""
        self._close()
        os.chmod(self.tmp, 0o777 & ~_umask())
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
            os.replace(self.tmp, self.target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.tmp, self.target)
        return self.target

    def abort(self) -> None:
        """Remove everything written so far."""
        self._close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
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
