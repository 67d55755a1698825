"""Mixed bfloat16 only where the CPU computes it natively (digitlab.precision)."""

from digitlab import models
from digitlab.precision import NATIVE_BFLOAT16, cpu_flags, training_dtype

AVX2_ONLY = frozenset({"sse4_2", "avx", "avx2", "fma"})  # an AMD EPYC of 2026-12-07: bfloat16 emulated


def test_bfloat16_is_asked_for_and_native_or_it_is_float32():
    assert training_dtype(True, AVX2_ONLY | {"amx_bf16", "amx_tile"}) == "mixed_bfloat16"
    assert training_dtype(True, AVX2_ONLY | {"avx512f", "avx512_bf16"}) == "mixed_bfloat16"
    assert training_dtype(True, AVX2_ONLY | {"avx512f"}) == "float32"  # AVX-512 without its bfloat16
    assert training_dtype(True, AVX2_ONLY) == "float32"
    assert training_dtype(False, AVX2_ONLY | NATIVE_BFLOAT16) == "float32"  # the tutorial presets never


def test_this_machine_and_a_built_model_agree():
    flags = cpu_flags()
    assert isinstance(flags, frozenset) and (not flags or "fpu" in flags)  # Linux lists the FPU first
    preset = models.get_preset(models.DEFAULT_PRESET)
    assert preset.bfloat16
    policy = models.build(preset).dtype_policy.name
    assert policy == training_dtype(True) == ("mixed_bfloat16" if NATIVE_BFLOAT16 & flags else "float32")
