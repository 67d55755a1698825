"""Every benchmark script imports: one that named a module the restructuring removed
(``digitlab.jobs.kinds``, in benchmarks/train_presets.py) went unnoticed until it was run."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import benchmarks

NAMES = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.ispkg)


def test_there_are_benchmarks_to_import():
    assert {"classify_latency", "read_people", "train_presets", "draw_latency"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_benchmark_imports_and_has_a_main(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "main", None)), f"benchmarks.{name} has no main()"
