"""No reference leaked anywhere, counted by a debug CPython.

``sys.gettotalrefcount()`` (Py_DEBUG builds only: scripts/debug_python.sh)
sums every reference in the process, so a reference leaked on any object,
not only on the few test_by_value_leaks.py watches, shows up. One leak per
dump would make the count grow by the number of dumps.
"""
import gc
import io
import sys

import pytest

import anethum
from test_by_value_leaks import make_graph

pytestmark = pytest.mark.skipif(
    not hasattr(sys, "gettotalrefcount"), reason="needs a debug CPython (Py_DEBUG)")

ROUNDS = 200
# One reference leaked (or released twice) per dump moves the total by ROUNDS.
# A few either way are caches filling or emptying: the error path, for one,
# can free exception objects cached by an earlier round.
SLACK = ROUNDS // 10


def refcount_growth(action):
    for _ in range(20):  # warm the caches (type cache, tracker ids, interned names)
        action()
    gc.collect()
    before = sys.gettotalrefcount()
    for _ in range(ROUNDS):
        action()
    gc.collect()
    return sys.gettotalrefcount() - before


def plain_data():
    return [1, "a", (2.0, b"x"), {"k": [None, 2**70]}, {3, 4}, bytearray(b"y")] * 20


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_plain_data(protocol):
    data = plain_data()
    assert abs(refcount_growth(lambda: anethum.dumps(data, protocol))) <= SLACK


@pytest.mark.parametrize("protocol", [2, 5])
def test_by_value(protocol):
    graph = make_graph()
    assert abs(refcount_growth(lambda: anethum.dumps(graph, protocol))) <= SLACK


@pytest.mark.parametrize("protocol", [2, 5])
def test_error_path(protocol):
    graph = make_graph() + [{"deep": [1, 2, (i for i in range(0))]}]

    def fail():
        with pytest.raises(TypeError):
            anethum.dumps(graph, protocol)
    assert abs(refcount_growth(fail)) <= SLACK


def test_pickler_subclass_and_memo():
    class Sub(anethum.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, float):
                return float, (repr(obj),)
            return NotImplemented
    graph = make_graph() + [1.5, 2.5, plain_data()]

    def dump():
        pickler = Sub(io.BytesIO(), 5)
        pickler.dump(graph)
        pickler.memo
        pickler.clear_memo()
        pickler.dump(graph)
    assert abs(refcount_growth(dump)) <= SLACK
