"""Scripts that measure Digit Lab and print their figures; run them as python -m benchmarks.NAME."""

from __future__ import annotations

from collections.abc import Iterator


def each_model(model_ids: list[str] | None) -> Iterator[tuple[str, object]]:
    """(id, Classifier) of each stored model asked for (the active one if none), answering as the
    app does; prints a heading line before each."""
    from digitlab.inference import Classifier
    from digitlab.store import ModelStore

    store = ModelStore()
    for model_id in model_ids or [store.active_id()]:
        model, run = store.load(model_id)
        print(f"\nmodel {model_id} ({run.preset}):")
        yield model_id, Classifier(model)
