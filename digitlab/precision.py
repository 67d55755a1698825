"""Which precision a training runs in on this CPU.

Mixed bfloat16 (weights in float32, products in bfloat16) pays only where the
CPU multiplies bfloat16 natively; elsewhere TensorFlow emulates it, and a
training takes several times longer than in float32.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# CPU flags (Linux's /proc/cpuinfo names) of a native bfloat16 matrix product. With AMX a step of the CNN
# took 0.67 times the float32 time (README, Figures); without either flag, on an AMD EPYC with AVX2 alone, it
# took 5-10 times longer than in float32 (686-1,024 ms against 105-128 ms a batch of 256, 2026-12-07); on an
# AMD EPYC with avx512_bf16 and no AMX, 36-37 ms against 51-65 ms (2026-12-07, later).
NATIVE_BFLOAT16 = frozenset({"amx_bf16", "avx512_bf16"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags, as /proc/cpuinfo lists them (empty where there is no such file)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    return frozenset(next((line.split(":", 1)[1].split() for line in text.splitlines()
                           if line.startswith("flags")), []))


def training_dtype(bfloat16: bool, flags: frozenset[str] | None = None) -> str:
    """The Keras dtype policy of a training that asks for ``bfloat16`` on a CPU with ``flags`` (default:
    this one's): "mixed_bfloat16" if it asks and the CPU computes it natively, else "float32"."""
    native = NATIVE_BFLOAT16 & (cpu_flags() if flags is None else flags)
    return "mixed_bfloat16" if bfloat16 and native else "float32"
