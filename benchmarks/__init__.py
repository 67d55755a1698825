"""Scripts that measure Digit Lab and print their figures; run them as python -m benchmarks.NAME."""
