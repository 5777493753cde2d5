"""Reading Markdown pages as a reader's browser does: their prose and the anchors of their headings."""

from __future__ import annotations

import re
from pathlib import Path


def prose(text: str) -> str:
    """The page without its fenced blocks and inline code: what links and headings are read from."""
    out, inside = [], None
    for line in text.splitlines():
        m = re.match(r"^\s*(`{3,})", line)
        if m and inside is None:
            inside = m.group(1)
        elif m and inside is not None and line.strip() == inside:
            inside = None
        elif inside is None:
            out.append(line)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", "\n".join(out))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of every heading of the page."""
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", prose(page.read_text("utf-8")), re.M)}
