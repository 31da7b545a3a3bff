"""No Python code runs while an exception is set: a failed name lookup
(which sends a class by value) leaves its error set while anethum decides
what to do, and a message formatted for it calls repr(). Python code run
then — here a GC callback calling a builtin — fails with SystemError
(and a debug CPython asserts)."""
import enum
import gc
import pickle
import sys
import time
import types

import pytest

import anethum

MODULE = "anethum_test_lookup_failures"


@pytest.fixture
def module():
    mod = types.ModuleType(MODULE)
    exec("import enum\nColor = enum.Enum('Colour', 'RED GREEN')\n", mod.__dict__)
    sys.modules[MODULE] = mod
    yield mod
    del sys.modules[MODULE]


@pytest.fixture
def gc_callback_errors():
    errors = []

    def callback(phase, info):
        try:
            time.perf_counter()
        except SystemError as exc:
            errors.append(repr(exc.__cause__ or exc.__context__))

    thresholds = gc.get_threshold()
    gc.callbacks.append(callback)
    gc.set_threshold(1, 1, 1)
    try:
        yield errors
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(callback)


def unreachable_classes():
    # Named as in MODULE, found there under no name.
    hidden = enum.Enum("Hidden", "A B", module=MODULE)
    plain = type("Plain", (), {"__module__": MODULE, "x": 1})
    return hidden, plain


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_failed_lookups_run_no_code_with_the_error_set(module, gc_callback_errors, protocol):
    for _ in range(20):
        hidden, plain = unreachable_classes()
        data = anethum.dumps([module.Color, module.Color.GREEN, hidden, hidden.B, plain], protocol)
    assert gc_callback_errors == []
    color, green, hidden, b, plain = pickle.loads(data)
    assert color is module.Color and green is module.Color.GREEN
    assert b is hidden.B and plain.x == 1
