"""Text from users' files, made safe to print on a terminal.

A scenario's names, ids, descriptions and paths are the user's text: an escape sequence in one of them
(``"\\x1b[2J"`` clears the screen, ``"\\x1b]8;;..."`` plants a link), a carriage return or a bidirectional
override (``"\\u202e"``) would act on the terminal instead of being read.  :func:`printable` shows every such
character escaped, the way Python writes it (``\\x1b``, ``\\u202e``), and leaves everything else as it is,
Chinese included.
"""

from __future__ import annotations

import re

#: what is escaped: C0 and C1 control characters (newline and tab too) and DEL; the bidirectional marks,
#: embeddings, overrides and isolates; the line and paragraph separators; lone surrogates (undecodable bytes
#: of a file name), which a UTF-8 terminal cannot even be sent
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    return _SHORT.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: object) -> str:
    """``str(text)`` with every character that could act on a terminal shown escaped, e.g.
    ``printable("a\\x1b[31mb\\n")`` is ``'a\\\\x1b[31mb\\\\n'``: one line, no control character."""
    return _UNSAFE.sub(_escaped, str(text))


def printable_lines(text: object) -> str:
    """Like :func:`printable`, but the line breaks of a message that approval-sim laid out itself are kept."""
    return "\n".join(printable(line) for line in str(text).split("\n"))
