"""A small package that the tests register for pickling by value.

Subprocesses that load its pickles cannot import it (tests/python is not on
their path), so its functions and classes only work there if they were
pickled by value.
"""
from . import sub
from .sub import scale

OFFSET = 10


def add_offset(x):
    return x + OFFSET


def uses_sub(x):
    return sub.scale(x) + 1


def uses_imported_name(x):
    return scale(x) - 1


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm1(self):
        return abs(self.x) + abs(self.y)
