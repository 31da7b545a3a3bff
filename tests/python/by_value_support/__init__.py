"""Helpers for the by-value pickling tests (tests/python/test_by_value_*.py)."""
