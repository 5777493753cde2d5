"""Outputs written atomically, and only where approval-sim owns them.

An output folder (:class:`OutputDir`) is built in a hidden *partial* folder beside the target,
``.NAME.approval-sim-partial``.  Creating it (``os.mkdir``, which fails if it exists) is the run's claim on
the target: a second run on the same target cannot create it and stops at once, before it simulates.  When
the output is complete the partial folder is renamed onto the target; a rename never replaces a non-empty
folder, so whatever appeared there meanwhile is kept and the run fails instead.

Every output folder holds a marker file, ``.approval-sim``, naming the program and the files it wrote.
``force`` replaces only a folder with that marker that holds nothing but the files it lists, never a folder
holding an input of the command, the current folder or one above it.  A single file follows the same
rules (:mod:`sim.core.output_file`); the checks both share are in :mod:`sim.core.output_places`.

Every refusal is an :class:`OutputError` naming the path, what is wrong and what is allowed; nothing is
left behind on any failure (the partial folder or file and any parent folders created are removed).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter

from sim.core.output_places import (
    MARKER,
    Claim,
    OutputError,
    OutputExists,
    generator,
    read_marker,
    remove_created,
    symlink_refused,
    umask,
)

#: how a spreadsheet recognises a formula (OWASP, "CSV injection"): a text cell starting so is neutralised
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with one of
    :data:`FORMULA_STARTS` gets a leading ``'`` (as OWASP recommends); anything else is returned as it is."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


class OutputDir(Claim):
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
        self._files: list[Any] = []
        self._claim(target, force, inputs, folder=True, create=os.mkdir)

    def _check_target(self) -> bool:
        """Whether the target holds an earlier output to replace; raises if it may not be written."""
        try:
            mode = os.lstat(self.target).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(mode):
            raise symlink_refused(self.target, self.shown)
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
            os.chmod(self.tmp, 0o777 & ~umask())
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
            remove_created(self._created)
            self._claimed = False


def _finite(data: Any) -> Any:
    """``data`` with every float that is not finite replaced by None (JSON's null)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data
