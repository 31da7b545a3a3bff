"""A real module that make_corpus.py registers with
``anethum.register_pickle_by_value``: its objects go by value, so the
corpus loads without this module being importable."""

FACTOR = 7


def scaled(x):
    return x * FACTOR


class Shape:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side * FACTOR
