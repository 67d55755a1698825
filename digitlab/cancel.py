"""Long work that can be stopped between two steps, and that says how far it has come.

A training, a dubious-label computation or a class's fine-tuning takes minutes.
Whoever runs it (a background job's runner, a command-line tool, a test) hands
it two functions:

- ``should_stop()``: polled between steps (a training: between batches); once it
  is true the work raises :class:`Cancelled`, and stores nothing;
- ``report(fraction, message, *, phase=None, force=False, **fields)``: how far
  it has come (0-1), a line of text, its phase, and fields of its own (a
  training's epoch and curves). A runner writes these down at most about once a
  second unless ``force``.

This module imports nothing, so the library's lowest floors can use it.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

ShouldStop = Callable[[], bool]


class Cancelled(Exception):
    """Raised by long work once ``should_stop()`` said stop; nothing of it is kept."""


class Report(Protocol):
    def __call__(self, fraction: float, message: str, *, phase: str | None = None, force: bool = False,
                 **fields: Any) -> None: ...


def never() -> bool:
    """A ``should_stop`` for work nobody can cancel (a command line: Ctrl-C does it)."""
    return False


def quietly(fraction: float, message: str, *, phase: str | None = None, force: bool = False, **fields: Any) -> None:
    """A ``report`` that says nothing."""
