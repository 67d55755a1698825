"""The smallest change of ink that makes the model read another digit ("add ink here, and it reads 9").

A gradient-based search (in the spirit of Papernot et al.'s saliency-map
attack, but in small continuous steps): at each step the gradient of the
target's *margin* (its logit minus the best other logit; > 0 when it wins)
says which pixels to darken or lighten; only the few pixels where it is
steepest, and that can still move that way (ink in [0, 1]), are changed by a
small amount. The change therefore stays sparse and small in L1 (total ink
added plus removed); the search stops as soon as the target wins.
All targets are searched together, as one batch per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

SIDE = 28
STEP = 0.25  # ink changed per chosen pixel per step (a quarter of full ink)
PIXELS_PER_STEP = 4  # pixels changed per step: 1 unit of ink, the L1 resolution of the result
MAX_STEPS = 120  # 120 units of ink: far more than any digit needs (a 28x28 digit holds ~100)

# (images float32 (N, 28, 28), targets int (N,)) -> (margins (N,), gradients (N, 28, 28), probabilities (N, 10))
MarginFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Counterfactual:
    """A changed drawing for ``target``: ``image`` float32 (28, 28) in [0, 1], ``change`` =
    image - original (> 0: ink added, < 0: removed), the model's ``probabilities`` float32
    (10,) for it, whether the target ``reached`` the top, and after how many ``steps``."""

    target: int
    image: np.ndarray
    change: np.ndarray
    probabilities: np.ndarray
    reached: bool
    steps: int

    @property
    def added(self) -> float:
        """Ink added, in full-ink pixels (sum of the positive change)."""
        return float(np.maximum(self.change, 0).sum())

    @property
    def removed(self) -> float:
        """Ink removed, in full-ink pixels."""
        return float(np.maximum(-self.change, 0).sum())

    @property
    def l1(self) -> float:
        return self.added + self.removed

    @property
    def l2(self) -> float:
        return float(np.sqrt((self.change.astype(np.float64) ** 2).sum()))

    @property
    def read_as(self) -> int:
        return int(np.argmax(self.probabilities))


def counterfactuals(margins: MarginFn, image: np.ndarray, targets, *, step: float = STEP,
                    pixels: int = PIXELS_PER_STEP, max_steps: int = MAX_STEPS,
                    stop_at_first: bool = False) -> list[Counterfactual]:
    """One :class:`Counterfactual` per digit in ``targets`` for ``image`` float32 (28, 28).

    Each step calls ``margins`` once on the targets not yet reached; a target
    not reached after ``max_steps`` (or, with ``stop_at_first``, when another
    target has been reached) comes back with ``reached=False`` and the change
    made so far.
    """
    x0 = np.asarray(image, np.float32)
    if x0.shape != (SIDE, SIDE):
        raise ValueError(f"expected one 28x28 ink image, got shape {x0.shape}")
    targets = [int(t) for t in np.atleast_1d(targets)]
    if any(not 0 <= t <= 9 for t in targets):
        raise ValueError(f"targets must be digits 0-9, got {targets}")
    x = np.repeat(x0[None], len(targets), axis=0)
    steps = np.zeros(len(targets), int)
    found: dict[int, tuple[np.ndarray, bool]] = {}
    active = np.arange(len(targets))
    for k in range(max_steps + 1):
        m, g, p = margins(x[active], np.array([targets[i] for i in active], np.int32))
        won = m > 0
        for i, pi in zip(active[won], p[won]):
            found[i] = (pi, True)
        if k == max_steps or (stop_at_first and won.any()):
            for i, pi in zip(active[~won], p[~won]):
                found[i] = (pi, False)
            break
        keep = ~won
        active, g = active[keep], g[keep]
        if len(active) == 0:
            break
        xa = x[active]
        movable = ((g > 0) & (xa < 1)) | ((g < 0) & (xa > 0))
        strength = np.where(movable, np.abs(g), 0).reshape(len(active), -1)
        stuck = strength.max(axis=1) == 0  # no pixel can help (a flat spot): it will not get closer
        for i, pi in zip(active[stuck], p[keep][stuck]):
            found[i] = (pi, False)
        active, xa, g, strength = active[~stuck], xa[~stuck], g[~stuck], strength[~stuck]
        if len(active) == 0:
            break
        chosen = np.argpartition(-strength, pixels - 1, axis=1)[:, :pixels]
        flat = xa.reshape(len(active), -1)
        rows = np.arange(len(active))[:, None]
        direction = np.sign(g.reshape(len(active), -1)[rows, chosen]) * (strength[rows, chosen] > 0)
        flat[rows, chosen] = np.clip(flat[rows, chosen] + step * direction, 0.0, 1.0)
        x[active] = flat.reshape(-1, SIDE, SIDE)
        steps[active] += 1
    return [Counterfactual(t, x[i].copy(), (x[i] - x0).astype(np.float32), found[i][0].astype(np.float32),
                           found[i][1], int(steps[i])) for i, t in enumerate(targets)]


def smallest_change(margins: MarginFn, image: np.ndarray, current: int | None, **kw) -> Counterfactual | None:
    """The smallest change that makes ``image`` read as any digit but ``current`` (None, for a drawing
    read as no digit: any digit): all are searched together and the search stops when the first wins
    (every step changes about the same amount of ink, so the fewest steps is about the least ink; the
    smallest L1 among those that won in that step). None if no digit wins within the steps."""
    found = counterfactuals(margins, image, [d for d in range(10) if d != current], stop_at_first=True, **kw)
    reached = [c for c in found if c.reached]
    return min(reached, key=lambda c: c.l1) if reached else None
