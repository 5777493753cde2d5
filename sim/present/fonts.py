"""Fonts and the texts a figure can draw: the CJK font, what each font covers, the figures' matplotlib settings.

Labels are English; Chinese (lever, stage, agency and phase names are "中文 English" strings in the
scenarios) is kept only when an installed font covers it (:func:`cjk_font`).  Without one, CJK
characters are stripped (:func:`strip_cjk`) so matplotlib never draws a missing glyph.

:func:`styled` builds every figure, and checks every text of it last (:func:`make_drawable`): what the
fonts cannot draw is left out, or, when nothing readable would be left (an id that is Chinese only, and no
Chinese font), written as code points (``\\u89c4\\u5212``); a dollar sign is never taken for mathtext.
So no figure warns of a missing glyph, whatever the names in the scenario.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import matplotlib
from matplotlib import font_manager

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

#: sample text a CJK font must render
CJK_SAMPLE = "蓝图管控容缺受理区域评估代办服务"
#: preferred CJK families, best first (any other installed font covering the sample is the last resort)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Sarasa Gothic SC",
    "AR PL UMing CN",
    "SimSun",
)
BASE_FONT = "DejaVu Sans"

_CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u31ff\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]+"
)
_SEP = r"\s+/,;:·&|\-–—"
_EMPTY_BRACKETS = re.compile(rf"[(\[{{][{_SEP}]*[)\]}}]")
_EDGE_SEP = re.compile(rf"^[{_SEP}]+|[{_SEP}]+$")
_REPEATED_SEP = re.compile(r"\s*([+/,;&|])(?:\s*[+/,;&|])+\s*")


P = ParamSpec("P")
R = TypeVar("R")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that renders Chinese (e.g. "蓝图管控"), or None.

    Matplotlib lists the system's fonts once and keeps the list in its cache folder: a font installed since
    (``apt-get install fonts-noto-cjk``) is not in it.  So when no font of the list renders Chinese, the
    system's font files it does not know are looked at, and those that render Chinese are added to it.
    """
    return _best_cjk() or (_best_cjk() if add_system_cjk_fonts() else None)


def _best_cjk() -> str | None:
    entries = [e for e in font_manager.fontManager.ttflist if "last resort" not in e.name.lower()]
    rank = {name.lower(): i for i, name in enumerate(CJK_FAMILIES)}
    entries.sort(key=lambda e: (rank.get(e.name.lower(), len(rank)), e.name, e.fname))
    for e in entries:
        if _covers(e.fname, CJK_SAMPLE):
            return e.name
    return None


def add_system_cjk_fonts() -> bool:
    """Add the system's font files that render Chinese and matplotlib's font list lacks (installed after it
    was cached) to matplotlib's font manager, for this process.  True if any was added."""
    known = {e.fname for e in font_manager.fontManager.ttflist}
    added = False
    for path in sorted(font_manager.findSystemFonts()):
        if path not in known and _covers(path, CJK_SAMPLE):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            added = True
    return added


@functools.lru_cache(maxsize=64)
def _charmap(fname: str) -> frozenset[int]:
    try:
        return frozenset(font_manager.get_font(fname).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _covers(fname: str, text: str) -> bool:
    cmap = _charmap(fname)
    return all(ord(ch) in cmap for ch in text)


def base_charmap() -> frozenset[int]:
    """The code points the base font (:data:`BASE_FONT`) can draw (empty if it could not be read)."""
    return _charmap(font_manager.findfont(BASE_FONT, fallback_to_default=True))


def strip_cjk(text: str) -> str:
    """``text`` without CJK characters, tidied: "环境影响评价 EIA report approval" -> "EIA report approval",
    "Reform (蓝图管控 + 容缺受理)" -> "Reform"."""
    return _tidy(_CJK.sub(" ", text))


def _tidy(s: str) -> str:
    """What is left of a name once characters were taken out: no empty brackets, doubled or dangling
    separators, or runs of spaces."""
    for _ in range(3):
        s = _EMPTY_BRACKETS.sub(" ", s)
    s = _REPEATED_SEP.sub(r" \1 ", s)
    s = re.sub(r"\s+", " ", s)
    return _EDGE_SEP.sub("", s).strip()


def _drawable_chars() -> tuple[frozenset[int], ...]:
    """The code points the figures' fonts can draw, font by font (none if the base font could not be read)."""
    base = base_charmap()
    if not base:
        return ()
    cjk = cjk_font()
    return (base, _family_charmap(cjk)) if cjk else (base,)


@functools.lru_cache(maxsize=8)
def _family_charmap(family: str) -> frozenset[int]:
    try:
        return _charmap(font_manager.findfont(family, fallback_to_default=False))
    except ValueError:
        return frozenset()


def drawable(text: str) -> str:
    """``text`` in characters the figures' fonts have, line by line: the others left out (and what they
    leave behind tidied), or, if no letter or digit would be left, written as code points: "规划局" ->
    "\\u89c4\\u5212\\u5c40" without a Chinese font.  Control characters are never drawn."""
    if text.isascii() and text.isprintable():  # most texts: numbers, dates, English
        return text
    fonts = _drawable_chars()
    if not fonts:
        return text

    def ok(ch: str) -> bool:
        code = ord(ch)
        return code >= 32 and any(code in chars for chars in fonts)

    lines = []
    for line in text.split("\n"):
        if all(ok(ch) for ch in line):
            lines.append(line)
            continue
        kept = _tidy("".join(ch if ok(ch) else " " for ch in line))
        if not any(ch.isalnum() for ch in kept):
            kept = "".join(ch if ok(ch) else _code_point(ch) for ch in line.strip())
        lines.append(kept)
    return "\n".join(lines)


def _code_point(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


_MATH_DOLLAR = re.compile(r"(?<!\\)\$")


def make_drawable(fig: Figure) -> Figure:
    """Every text of ``fig`` (titles, labels, tick labels, legends, annotations) made :func:`drawable`, and
    its dollar signs escaped (no text of ours is mathtext: a "$" in a name must not start it)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    def fixed(text: str) -> str:
        return _MATH_DOLLAR.sub(r"\\$", drawable(text))

    def texts(artist: Artist) -> Iterator[Text]:
        if isinstance(artist, Text):
            yield artist
        if isinstance(artist, Axis):  # not its ticks: their labels are made from the formatters when drawn
            yield artist.label
            return
        for child in artist.get_children():
            yield from texts(child)

    for text in texts(fig):
        if fixed(text.get_text()) != text.get_text():
            text.set_text(fixed(text.get_text()))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                # tick labels given as text (set_ticks(..., labels)) are made anew from the formatter when
                # the figure is drawn: a FixedFormatter's list, or a FuncFormatter over a dict (matplotlib 3.9+)
                if isinstance(formatter, FixedFormatter):
                    formatter.seq = [fixed(str(t)) for t in formatter.seq]
                elif isinstance(formatter, FuncFormatter) and not isinstance(formatter.func, _Fixed):
                    formatter.func = _Fixed(formatter.func)
    return fig


class _Fixed:
    """A tick-label function whose labels are made drawable, as :func:`make_drawable` does."""

    def __init__(self, func: Callable[..., str]):
        self.func = func

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _MATH_DOLLAR.sub(r"\\$", drawable(str(self.func(x, pos))))


def rc() -> dict[RcKeyType, Any]:
    """Matplotlib settings for the figures (font families are explicit, so texts keep them after the context)."""
    cjk = cjk_font()
    return {
        "font.family": [cjk, BASE_FONT] if cjk else [BASE_FONT],
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "svg.hashsalt": "approval-sim",
    }


def styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Build the figure under :func:`rc`, then make each of its texts :func:`drawable` (:func:`make_drawable`)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from matplotlib.figure import Figure

        with matplotlib.rc_context(rc()):
            out = fn(*args, **kwargs)
        if isinstance(out, Figure):
            make_drawable(out)
        return out

    return wrapper
