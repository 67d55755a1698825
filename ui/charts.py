"""Charts used by the pages. Plain functions: arrays in, figure (or HTML) out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

DIGITS = [str(d) for d in range(10)]


def probabilities(p: np.ndarray, height: int = 260) -> go.Figure:
    """Bar chart of the 10 class probabilities, the winner highlighted."""
    colours = ["#ff8c00" if i == int(np.argmax(p)) else "#4c78a8" for i in range(10)]
    fig = go.Figure(go.Bar(x=DIGITS, y=p, marker_color=colours, text=[f"{v:.0%}" if v >= 0.01 else "" for v in p],
                           textposition="outside", hovertemplate="digit %{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1.12], tickformat=".0%"),
                      xaxis=dict(type="category", title=None), showlegend=False)
    return fig


WINNER, OTHERS = "#ff8c00", "#4c78a8"


def probability_bars(p: np.ndarray) -> str:
    """The 10 class probabilities as bars in HTML, the winner highlighted (ui.style's .prob-bars):
    the Draw page's answer, redrawn on every stroke. A plotly figure cost 9 ms of the server's CPU
    to build and serialise each time (and 4 KB to send); this costs a tenth of a millisecond."""
    p = np.asarray(p, dtype=np.float64)
    best = int(np.argmax(p))
    bars = "".join(
        f'<div title="digit {d}: {v:.2%}"><span>{f"{v:.0%}" if v >= 0.01 else ""}</span>'
        f'<i style="height:calc((100% - 2.6rem) * {max(v, 0.004):.4f});background:{WINNER if d == best else OTHERS}"></i>'
        f"<b>{d}</b></div>" for d, v in enumerate(p))
    return f'<div class="prob-bars" data-best="{best}">{bars}</div>'


def pixels(image: np.ndarray, height: int = 360) -> go.Figure:
    """Heatmap of a 28x28 image; hovering shows each pixel's value 0-255."""
    a = np.asarray(image)
    a = a if a.dtype == np.uint8 else np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Heatmap(z=a, colorscale="gray", showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=height, width=height, margin=dict(l=0, r=0, t=0, b=0),
                      yaxis=dict(autorange="reversed", scaleanchor="x", visible=False), xaxis=dict(visible=False))
    return fig
