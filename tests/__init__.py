"""Digit Lab's tests, a package so that benchmarks can reuse ``tests.browser``."""
