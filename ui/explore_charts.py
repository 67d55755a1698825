"""Plotly figures of the explorer pages (Dataset, Misclassified, Training). Arrays in, figure out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from digitlab.words import count_words
from digitlab.pictures import sheet

DIGITS = [str(d) for d in range(10)]
# Ten distinguishable colours, one per digit (plotly's "D3" / Tableau set).
DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
RUN_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"]


def confusion_matrix(cm: np.ndarray, selected: tuple[int, int] | None = None, side: int = 470) -> go.Figure:
    """The 10x10 confusion matrix, ``side`` pixels square; clicking a cell selects it (true, predicted).

    Colour is log(1 + count) so that a handful of mistakes still shows next to
    a thousand right answers. Streamlit does not report clicks on a heatmap,
    so each cell also carries an invisible square scatter point the size of
    the cell: the points are what gets clicked; their customdata is
    [true, predicted, count, the count in words]. Show it with ``width="content"``: a column
    narrower than ``side`` narrows it, and the axes' fixed ranges keep points and cells lined up.
    """
    cm = np.asarray(cm)
    margin = dict(l=58, r=8, t=58, b=8)
    cell = (side - margin["l"] - margin["r"]) / 10
    t, p = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=np.log1p(cm), x=DIGITS, y=DIGITS, text=cm, texttemplate="%{text}",
                             colorscale="Blues", showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=[str(v) for v in p.ravel()], y=[str(v) for v in t.ravel()], mode="markers",
        marker=dict(symbol="square", size=cell - 2, color="rgba(0,0,0,0)"),
        # A list, not an array: plotly would send a 2-D array as a typed array and
        # Streamlit would hand each point's row back as a dict, not a list.
        customdata=[[int(a), int(b), int(n), count_words(int(n), "image")]
                    for a, b, n in zip(t.ravel(), p.ravel(), cm.ravel())],
        hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}: %{customdata[3]}"
                      "<extra>click to show them</extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)), showlegend=False,
    ))
    if selected is not None:
        true, predicted = selected
        fig.add_shape(type="rect", x0=predicted - 0.5, x1=predicted + 0.5, y0=true - 0.5, y1=true + 0.5,
                      line=dict(color="#ff8c00", width=3))
    fig.update_layout(width=side, height=side, margin=margin,  # t = l and b = r: a square plot area
                      clickmode="event+select", dragmode=False, showlegend=False)
    # Ranges set, not left to autorange: autorange pads the axes for the clickable squares' size, so the
    # cells filled only the middle of the plot area (in a 340-pixel column, 190 of its 248 pixels: a click a
    # tenth of the way in landed a cell off, 2026-12-07).
    fig.update_xaxes(title="predicted", type="category", side="top", categoryorder="array", categoryarray=DIGITS,
                     range=[-0.5, 9.5], fixedrange=True)
    fig.update_yaxes(title="true label", type="category", range=[9.5, -0.5], categoryorder="array",
                     categoryarray=DIGITS, fixedrange=True)
    return fig


def thumbnails(images: np.ndarray, indices: np.ndarray, labels: np.ndarray, *, columns: int = 10,
               selected: int | None = None, width: int = 500, gap: int = 2) -> go.Figure:
    """A grid of uint8 (N, 28, 28) ``images`` (dataset numbers ``indices``, ``labels``), row by row;
    clicking one selects it (customdata [index, label]); ``selected``, an index, is outlined.

    One picture for the whole grid (quick to draw) and, as in :func:`confusion_matrix`, an
    invisible point on each image: the points are what gets hovered and clicked. Sized for
    ``width`` pixels; narrower, the grid shrinks and stays square-celled.
    """
    images = np.asarray(images)
    side = images.shape[1] + gap
    grid = sheet(images, columns=columns, scale=1, gap=gap)
    pos = np.arange(len(images))
    cx, cy = gap + (pos % columns) * side + (side - gap) / 2, gap + (pos // columns) * side + (side - gap) / 2
    cell_px = width / columns
    fig = go.Figure(go.Image(z=np.stack([grid] * 3, axis=-1), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=cx, y=cy, mode="markers", customdata=[[int(i), int(y)] for i, y in zip(indices, labels)],
        marker=dict(symbol="square", size=cell_px * 0.8, color="rgba(0,0,0,0)"),
        hovertemplate="#%{customdata[0]:,} · label %{customdata[1]}<extra>click to look closely</extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)), showlegend=False,
    ))
    where = np.flatnonzero(np.asarray(indices) == selected) if selected is not None else []
    if len(where):
        x, y = cx[where[0]], cy[where[0]]
        half = side / 2
        fig.add_shape(type="rect", x0=x - half, x1=x + half, y0=y - half, y1=y + half,
                      line=dict(color="#ff8c00", width=3))
    # The page shows it in a box of the grid's own shape (:func:`grid_aspect`), which sets the
    # height; this one is for a figure shown on its own.
    height = round(width * grid.shape[0] / grid.shape[1])
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), clickmode="event+select", dragmode=False,
                      showlegend=False, plot_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(visible=False, range=[0, grid.shape[1]], fixedrange=True)
    fig.update_yaxes(visible=False, range=[grid.shape[0], 0], fixedrange=True, scaleanchor="x", constrain="domain",
                     constraintoward="top")  # narrower than `width`: the grid stays at the top
    return fig


def grid_aspect(fig: go.Figure) -> float:
    """Width over height of the grid of a :func:`thumbnails` figure (from its axes' ranges)."""
    return fig.layout.xaxis.range[1] / fig.layout.yaxis.range[0]


def class_scores(precision: np.ndarray, recall: np.ndarray, height: int = 300) -> go.Figure:
    """Grouped bars per digit, from 0: the share of its images missed (1 - recall) and of the
    images called it wrongly (1 - precision).

    The errors, not precision and recall themselves: those are all near 100%, and an axis from 0
    hid their differences while one cut at 97.5% made half a point look like a chasm.
    """
    precision, recall = np.asarray(precision, float), np.asarray(recall, float)
    fig = go.Figure([
        go.Bar(x=DIGITS, y=1 - recall, name="missed (1 − recall)", marker_color="#f58518", customdata=recall,
               hovertemplate="digit %{x}: %{y:.2%} of the %{x}s missed<extra>recall %{customdata:.2%}</extra>"),
        go.Bar(x=DIGITS, y=1 - precision, name="called it wrongly (1 − precision)", marker_color="#4c78a8",
               customdata=precision,
               hovertemplate="digit %{x}: %{y:.2%} of the images called %{x} are not<extra>precision "
                             "%{customdata:.2%}</extra>"),
    ])
    fig.update_layout(barmode="group", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      yaxis=dict(rangemode="tozero", tickformat=".1%", title="share wrong"),
                      xaxis=dict(type="category", title="digit"),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def class_counts(counts: dict[str, np.ndarray], height: int = 260) -> go.Figure:
    """Grouped bars: images per digit in each split ({"train": (10,), "test": (10,)})."""
    fig = go.Figure([go.Bar(x=DIGITS, y=c, name=name, text=c, textposition="outside",
                            hovertemplate=f"{name}: %{{y}} images of %{{x}}<extra></extra>")
                     for name, c in counts.items()])
    fig.update_layout(barmode="group", height=height, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(type="category", title="digit"), legend=dict(orientation="h", y=1.15))
    return fig


def data_map(coords: np.ndarray, labels: np.ndarray, *, selected: int | None = None,
             neighbours: np.ndarray | None = None, name: str = "", height: int = 620) -> go.Figure:
    """A scatter of the map's points (float (N, 2)), one trace per digit so the legend
    can hide digits. Hover and click give the image index (customdata).

    No title in the figure: plotly writes it on one line, which ran under the chart's toolbar
    and was cut off on a phone; the page writes it above the chart. ``name`` says which map this
    is: the user's zoom is kept while it stays the same.
    """
    coords, labels = np.asarray(coords), np.asarray(labels)
    fig = go.Figure()
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        fig.add_trace(go.Scattergl(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=str(d), customdata=idx,
            marker=dict(size=4, color=DIGIT_COLOURS[d], opacity=0.7),
            hovertemplate=f"#%{{customdata}} · label {d}<extra></extra>",
        ))
    if neighbours is not None and len(neighbours):
        fig.add_trace(go.Scattergl(
            x=coords[neighbours, 0], y=coords[neighbours, 1], mode="markers", name="neighbours",
            customdata=neighbours, marker=dict(size=11, color="rgba(0,0,0,0)", line=dict(color="#222", width=2)),
            hovertemplate="#%{customdata} (neighbour)<extra></extra>",
        ))
    if selected is not None:
        fig.add_trace(go.Scattergl(
            x=coords[[selected], 0], y=coords[[selected], 1], mode="markers", name=f"#{selected}",
            customdata=[selected], marker=dict(size=18, symbol="star", color="#ff8c00", line=dict(color="#000", width=1)),
            hovertemplate="#%{customdata} (chosen)<extra></extra>",
        ))
    # The top margin leaves the toolbar (shown on hover, over the top right) its own band.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(title="digit", itemsizing="constant"),
                      clickmode="event+select", dragmode="pan", uirevision=name)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    return fig


@dataclass(frozen=True)
class Curves:
    """One run's curves: ``history`` as in run.json, ``kept`` the epoch the model kept (or None)."""

    name: str
    history: list[dict]
    kept: int | None = None
    live: bool = False


def training_curves(runs: list[Curves], height: int = 420) -> go.Figure:
    """Loss and accuracy per epoch, side by side; train solid, validation dotted,
    one colour per run, a star on the kept epoch's validation (else train) point."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"), horizontal_spacing=0.08)
    for i, run in enumerate(runs):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        epochs = [h["epoch"] for h in run.history]
        for col, metric in ((1, "loss"), (2, "accuracy")):
            for key, part, dash in ((metric, "train", "solid"), (f"val_{metric}", "validation", "dot")):
                values = [h.get(key) for h in run.history]
                if not any(v is not None for v in values):
                    continue
                fig.add_trace(go.Scatter(
                    x=epochs, y=values, mode="lines+markers", name=f"{run.name} · {part}",
                    legendgroup=run.name, showlegend=col == 1, marker=dict(size=5),
                    line=dict(color=colour, dash=dash, width=3 if run.live else 2),
                    hovertemplate=f"{run.name}<br>{part} {metric}, epoch %{{x}}: %{{y:.4f}}<extra></extra>",
                ), row=1, col=col)
            kept_row = next((h for h in run.history if h["epoch"] == run.kept), None)
            if kept_row is not None:
                key = f"val_{metric}" if f"val_{metric}" in kept_row else metric
                fig.add_trace(go.Scatter(
                    x=[run.kept], y=[kept_row[key]], mode="markers", name=f"{run.name} · kept epoch",
                    legendgroup=run.name, showlegend=False,
                    marker=dict(symbol="star", size=15, color=colour, line=dict(color="#000", width=1)),
                    hovertemplate=f"{run.name}<br>kept epoch %{{x}}: {metric} %{{y:.4f}}<extra></extra>",
                ), row=1, col=col)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), hovermode="closest",
                      legend=dict(orientation="h", y=-0.15))
    last_epoch = max((h["epoch"] for run in runs for h in run.history), default=1)
    fig.update_xaxes(title="epoch", rangemode="tozero", tick0=0, dtick=epoch_step(last_epoch), tickformat="d")
    losses = [h[k] for run in runs for h in run.history for k in ("loss", "val_loss") if h.get(k)]
    ticks = log_ticks(min(losses), max(losses)) if losses else []
    # Losses fall by orders of magnitude: a log axis, with every tick written as a number
    # (plotly's own labels a log axis's minor ticks with a bare digit: "9 8 7 … 2 0.1").
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return fig


def epoch_step(last_epoch: int, most_ticks: int = 10) -> int:
    """A whole number of epochs between ticks, so that at most ``most_ticks`` are shown (never 0.5)."""
    return next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9) if last_epoch / s <= most_ticks)


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis from ``low`` to ``high`` (> 0): 1, 2, 5 times powers of ten,
    or every 1–9 when that gives fewer than three in range."""
    if low <= 0 or high <= 0:
        raise ValueError("a log axis needs positive values")
    decades = range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
    for mantissas in ((1, 2, 5), tuple(range(1, 10))):
        ticks = [float(f"{m}e{e}") for e in decades for m in mantissas]
        if sum(low <= t <= high for t in ticks) >= 3:
            return ticks
    return ticks
