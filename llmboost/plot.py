"""Plots of :func:`llmboost.explain.explain` tables (matplotlib, the ``bench`` extra)."""

from __future__ import annotations

from collections.abc import Hashable
from numbers import Integral

import numpy as np
import pandas as pd

from .explain import BIAS_COLUMN, PRIOR_COLUMN

_INSTALL_HINT = 'Plots need matplotlib: pip install "llmboost[bench]"'
#: Colours: the prior, features pushing the margin up, and down.
PRIOR_COLOR, UP_COLOR, DOWN_COLOR = "#7b3294", "#d7191c", "#2c7bb6"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def _axes(ax, size):
    if ax is not None:
        return ax
    return _pyplot().subplots(figsize=size)[1]


def importance(table: pd.DataFrame) -> pd.Series:
    """Mean absolute contribution per column (features and ``prior``), largest first.

    For a multiclass table (columns ``(class, column)``) the mean runs over rows and
    classes. The bias is left out: it is the same for every row of a member.

    Parameters
    ----------
    table : DataFrame
        From :func:`llmboost.explain.explain`.

    Returns
    -------
    Series

    Raises
    ------
    ValueError
        When the table has no rows, or is not a table of ``explain``.
    """
    _check_table(table)
    values = table.abs()
    if values.columns.nlevels == 2:
        values = values.T.groupby(level="column", sort=False).mean().T
    return values.drop(columns=BIAS_COLUMN).mean().sort_values(ascending=False)


def _check_top(top) -> None:
    if isinstance(top, bool) or not isinstance(top, Integral) or top < 1:
        raise ValueError(f"top={top!r}: pass the number of bars to show, an integer >= 1.")


def plot_importance(table: pd.DataFrame, top: int = 20, ax=None):
    """Horizontal bar chart of :func:`importance`, the prior as one bar.

    Parameters
    ----------
    table : DataFrame
        From :func:`llmboost.explain.explain`.
    top : int, default=20
        Bars shown, largest first.
    ax : matplotlib axes, default=None
        ``None`` draws on a new figure.

    Returns
    -------
    matplotlib axes

    Raises
    ------
    ValueError
        When ``top`` is below 1.
    """
    _check_top(top)
    scores = importance(table).iloc[:top][::-1]
    ax = _axes(ax, (6, 0.35 * len(scores) + 1.2))
    colors = [PRIOR_COLOR if name == PRIOR_COLUMN else UP_COLOR for name in scores.index]
    ax.barh([str(name) for name in scores.index], scores.to_numpy(), color=colors)
    ax.set_xlabel("mean |contribution to the margin|")
    ax.set_title("What the prior knew, and what each feature's trees added")
    return ax


def plot_waterfall(table: pd.DataFrame, row=None, cls=None, top: int = 12, ax=None):
    """Waterfall of one row: from the bias, add the prior and the features to the margin.

    Parameters
    ----------
    table : DataFrame
        From :func:`llmboost.explain.explain`.
    row : label, default=None
        Index label of the row (``table.loc[row]``, the index of the ``X`` explained);
        ``None`` is the first row.
    cls : label, default=None
        The class, required for a multiclass table (and only there).
    top : int, default=12
        Features shown one by one (largest first), after the prior's bar; the rest
        form one bar.
    ax : matplotlib axes, default=None
        ``None`` draws on a new figure.

    Returns
    -------
    matplotlib axes

    Raises
    ------
    ValueError
        When ``row`` or ``cls`` names nothing in the table, ``row`` names several rows,
        or ``top`` is below 1.
    """
    _check_top(top)
    row, values = _row(table, row, cls)
    bias = float(values[BIAS_COLUMN])
    parts = values.drop(BIAS_COLUMN)
    features = parts.drop(PRIOR_COLUMN)  # the prior always has its own bar
    order = features.abs().sort_values(ascending=False).index
    shown = pd.concat([parts[[PRIOR_COLUMN]], features[order[:top]]])
    if len(order) > top:
        others = len(order) - top
        label = f"{others} other feature{'s' if others > 1 else ''}"
        shown = pd.concat([shown, pd.Series({label: features[order[top:]].sum()})])
    ax = _axes(ax, (7, 0.4 * len(shown) + 1.5))
    starts = bias + np.concatenate([[0.0], np.cumsum(shown.to_numpy())[:-1]])
    names = [str(n) for n in shown.index]
    colors = [
        PRIOR_COLOR if n == PRIOR_COLUMN else (UP_COLOR if v >= 0 else DOWN_COLOR)
        for n, v in zip(names, shown.to_numpy())
    ]
    positions = np.arange(len(shown))[::-1]
    ax.barh(positions, shown.to_numpy(), left=starts, color=colors)
    ax.set_yticks(positions, names)
    ax.axvline(bias, color="grey", lw=0.8, ls=":")
    margin = bias + float(parts.sum())
    ax.axvline(margin, color="black", lw=1.0)
    ends = np.concatenate([starts, starts + shown.to_numpy(), [bias, margin]])
    pad = 0.08 * max(np.ptp(ends), 1e-9)  # set by hand: bars pin autoscaling to their ends
    ax.set_xlim(ends.min() - pad, ends.max() + pad)
    ax.set_xlabel(f"margin: bias {bias:.3g} -> {margin:.3g}")
    ax.set_title(f"Row {row}" + ("" if cls is None else f", class {cls}"))
    return ax


def _check_table(table) -> None:
    """Refuse what is not a table of :func:`llmboost.explain.explain` with rows."""
    columns = getattr(table, "columns", pd.Index([]))
    if BIAS_COLUMN not in columns.get_level_values(-1):
        raise ValueError(
            f"The table has no {BIAS_COLUMN!r} column: pass the table that explain() returns."
        )
    if len(table) == 0:
        raise ValueError("The explanation table has no rows: explain at least one row.")


def _plain(label):
    """``label`` with numpy scalars as Python ones, also inside a tuple (a MultiIndex row)."""
    if isinstance(label, tuple):
        return tuple(_plain(part) for part in label)
    return label.item() if isinstance(label, np.generic) else label


def _row(table: pd.DataFrame, row, cls) -> tuple:
    """``row`` (the first one for ``None``) and its contributions for class ``cls``."""
    _check_table(table)
    row = _plain(table.index[0] if row is None else row)  # shown as written
    if not isinstance(row, Hashable) or row not in table.index:
        raise ValueError(
            f"row={row!r} is not in the table's index (the index of the X explained; it "
            f"starts {list(table.index[:3])}); pass one of its labels, or None for the first."
        )
    values = table.loc[row]
    if isinstance(values, pd.DataFrame):
        raise ValueError(
            f"row={row!r} labels {len(values)} rows: the table's index must be unique "
            "(explain X.reset_index(drop=True))."
        )
    classes = list(table.columns.get_level_values(0).unique()) if table.columns.nlevels == 2 else []
    if not classes:
        if cls is not None:
            raise ValueError(f"cls={cls!r} applies to multiclass tables only; leave it None.")
        return row, values
    if cls not in classes:
        raise ValueError(f"cls={cls!r}: a multiclass table needs one of its classes {classes}.")
    return row, values[cls]


__all__ = ["importance", "plot_importance", "plot_waterfall"]
