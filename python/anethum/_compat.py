"""Functions kept for code written against cloudpickle's API."""

import sys
import warnings


def is_tornado_coroutine(func):
    """Return whether ``func`` is a Tornado coroutine function (deprecated).

    Kept for code that called ``cloudpickle.is_tornado_coroutine``; use
    ``tornado.gen.is_coroutine_function`` instead.
    """
    warnings.warn(
        "is_tornado_coroutine is deprecated; use "
        "tornado.gen.is_coroutine_function directly instead.",
        category=DeprecationWarning,
        stacklevel=2,
    )
    gen = sys.modules.get("tornado.gen")
    if gen is None or not hasattr(gen, "is_coroutine_function"):
        return False
    return gen.is_coroutine_function(func)
