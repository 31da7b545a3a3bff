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


def share():
    """``(index, count)`` from ``ANETHUM_CI_SHARE=index/count``: this run
    takes every count-th case of the heaviest matrices, starting at index,
    so that CI's CPython versions split one full matrix between them.
    ``(0, 1)`` (all cases) when unset, and always in a soak."""
    text = os.environ.get("ANETHUM_CI_SHARE", "")
    if soaking() or not text:
        return 0, 1
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError("ANETHUM_CI_SHARE must look like 1/3, not %r" % text)
    if count < 1 or not 0 <= index < count:
        raise ValueError("ANETHUM_CI_SHARE must look like 1/3, not %r" % text)
    return index, count


def my_share(cases):
    """The cases of ``cases`` that this run's share takes."""
    index, count = share()
    return list(cases)[index::count]
