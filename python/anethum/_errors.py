"""Exceptions anethum raises besides the standard library's."""

import pickle


class PicklingRecursionError(pickle.PicklingError, RecursionError):
    """The object graph is nested deeper than the recursion limit allows.

    Both a ``pickle.PicklingError`` (as cloudpickle raises) and a
    ``RecursionError`` (as ``pickle`` raises), so either ``except`` works.
    """
