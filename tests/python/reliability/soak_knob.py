"""The one knob of the reliability tests: short in CI, long in a soak.

``ANETHUM_SOAK_SECONDS=600 pytest tests/python/reliability`` makes every
test here run for about that long (each test, not all together); unset or
0, each runs its short CI form (a few seconds).
"""
import os
import time


def soak_seconds():
    """The soak duration asked for, 0.0 for the short CI form."""
    try:
        return max(0.0, float(os.environ.get("ANETHUM_SOAK_SECONDS", "") or 0))
    except ValueError:
        return 0.0


def soaking():
    return soak_seconds() > 0


def duration(short):
    """How long a time-driven test runs: ``short`` seconds in CI."""
    return soak_seconds() or short


def deadline(short):
    """A ``time.monotonic()`` value to stop at."""
    return time.monotonic() + duration(short)


def examples(short):
    """Hypothesis examples for a test: ``short`` in CI, effectively
    unbounded in a soak (the test is then stopped by its deadline)."""
    return 10 ** 9 if soaking() else short


def repeats(short):
    """Rounds of a loop-driven test: ``short`` in CI; in a soak, enough
    that the loop is bounded by its deadline instead."""
    return 10 ** 9 if soaking() else short
