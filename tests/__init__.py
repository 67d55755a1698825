"""Digit Lab's tests (a package: ``tests.helpers`` is shared by them)."""
