"""Numbers in words a person reads: counts with their noun, samples, durations.

Every page and message says "1 student", "2 students", "first 60 of 1,196",
"3 min 05 s" the same way; a page never spells a plural itself.
"""

from __future__ import annotations


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    """"1 image", "2 images", "1,196 images": a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def first_of(shown: int, total: int, noun: str = "") -> str:
    """A caption for a sample: "all 12", or "first 60 of 1,196" when only part is shown."""
    tail = f" {noun}" if noun else ""
    return f"all {total:,}{tail}" if shown >= total else f"first {shown:,} of {total:,}{tail}"


def duration(seconds: float | None) -> str:
    """"45 s", "3 min 05 s"; "?" when unknown."""
    if seconds is None:
        return "?"
    m, s = divmod(int(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"
