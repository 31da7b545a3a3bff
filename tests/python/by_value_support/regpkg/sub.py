"""Submodule of the by-value test package."""
FACTOR = 3


def scale(x):
    return x * FACTOR


class Scaler:
    def __init__(self, factor=FACTOR):
        self.factor = factor

    def __call__(self, x):
        return x * self.factor
