"""Plotly figures used by the pages. Plain functions: arrays in, figure out."""

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


def pixels(image: np.ndarray, height: int = 360) -> go.Figure:
    """Heatmap of a 28x28 image; hovering shows each pixel's value 0-255."""
    a = np.asarray(image)
    a = a if a.dtype == np.uint8 else np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Heatmap(z=a, colorscale="gray", showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=height, width=height, margin=dict(l=0, r=0, t=0, b=0),
                      yaxis=dict(autorange="reversed", scaleanchor="x", visible=False), xaxis=dict(visible=False))
    return fig
