"""The figure class of :mod:`sim.plots`: a matplotlib Figure that shows itself in a notebook.

The figures are built with the object-oriented API (``Figure(...)``, no pyplot), so no backend knows of
them: a plain :class:`matplotlib.figure.Figure` returned by a notebook cell only shows its text,
``<Figure size 1300x660 with 2 Axes>``, unless the user first ran ``%matplotlib inline`` or imported pyplot
(which is what registers matplotlib's PNG formatter with IPython).  This subclass has a ``_repr_png_``
method, the rich-display hook that IPython's display formatter calls for any object.  So a figure returned
by a cell, or given to ``display()``, becomes an ``image/png`` output in every front end built on IPython's
kernel (JupyterLab, Notebook, ``jupyter nbconvert --execute``, nbclient, VS Code), whatever the matplotlib
backend.  When the inline backend *is* active, its formatter for Figure takes precedence and draws the same
picture once: the figure belongs to no pyplot figure manager, so it is never shown a second time.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure as _MplFigure

#: resolution of the PNG files the commands write, and of the pictures a report embeds (the same bytes)
FILE_DPI = 150
#: resolution of the picture a notebook shows (the figures are 8 to 13 inches wide: 800 to 1300 pixels,
#: which the front ends scale down to the width of the page)
NOTEBOOK_DPI = 100


class Figure(_MplFigure):
    """A :class:`matplotlib.figure.Figure` that a notebook displays as a PNG picture."""

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes at :data:`NOTEBOOK_DPI`: what IPython shows for it."""
        return png_bytes(self, NOTEBOOK_DPI)


def png_bytes(fig: _MplFigure, dpi: float = FILE_DPI) -> bytes:
    """``fig`` as PNG bytes, as the commands write them (no software tag, so the bytes depend on the figure
    only)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
