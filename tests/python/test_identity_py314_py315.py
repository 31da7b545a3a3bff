"""What pickle changed in CPython 3.14 and 3.15, against that version's
own pickle: new picklable types, the 3.15 batching, private names, and the
notes and types of pickling errors."""
import itertools
import pickle
import sys

import pytest

import anethum
from helpers import assert_same_dumps_outcome, assert_same_error, assert_same_pickle

PY314 = sys.version_info >= (3, 14)
PY315 = sys.version_info >= (3, 15)
needs_314 = pytest.mark.skipif(not PY314, reason="CPython 3.14 behaviour")
needs_315 = pytest.mark.skipif(not PY315, reason="CPython 3.15 behaviour")


class Base:
    def f(self):
        return "base"


class Derived(Base):
    def f(self):
        return "derived " + super().f()


class Private:
    class __Nested:
        class __Deeper:
            pass

    def __method(self):
        return 42

    @classmethod
    def get_nested(cls):
        return cls.__Nested

    def get_method(self):
        return self.__method


@needs_314
def test_super_objects_pickle_as_pickle_does(proto):
    # gh-125767: super objects became picklable.
    obj = Derived()
    assert_same_dumps_outcome(super(Derived, obj), proto, by_value=False)
    assert_same_dumps_outcome(super(Derived, Derived), proto, by_value=False)


def test_itertools_objects_as_pickle_does(proto):
    # 3.14 dropped itertools' pickle support; before, they reduce.
    assert_same_dumps_outcome(itertools.count(3), proto, by_value=False)


@needs_315
@pytest.mark.parametrize("make", [lambda: frozendict(), lambda: frozendict(a=1, b=[2, 3]),
                                  lambda: [frozendict(x=frozendict(y=1))] * 2,
                                  lambda: frozendict.fromkeys(range(1001))],
                         ids=["empty", "items", "nested-shared", "1001-keys"])
def test_frozendict(make, proto):
    assert_same_dumps_outcome(make(), proto, by_value=False)
    assert_same_dumps_outcome(make(), proto)


@pytest.mark.parametrize("size", [1, 2, 999, 1000, 1001, 2000, 2001])
@pytest.mark.parametrize("kind", ["list", "dict", "set"])
def test_batch_edges(kind, size, proto):
    # 3.15 (gh-135573): no empty last batch, and one item alone is a plain
    # APPEND/SETITEM; before, both were MARK ... APPENDS/SETITEMS.
    obj = {"list": list, "dict": dict.fromkeys, "set": set}[kind](range(size))
    assert_same_pickle(obj, proto)


@needs_315
@pytest.mark.parametrize("name", ["nested", "deeper", "method", "unbound"])
def test_private_names_by_reference(name, proto):
    obj = {
        "nested": Private.get_nested(),
        "deeper": Private.get_nested()._Nested__Deeper,
        "method": Private().get_method(),
        "unbound": Private._Private__method,
    }[name]
    assert_same_dumps_outcome(obj, proto, by_value=False)
    loaded = pickle.loads(anethum.dumps(obj, proto))
    if name in ("nested", "deeper", "unbound"):
        assert loaded is obj


class Mutator:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        self.target.append(0)
        return (int, ())


def runtime_error_of(dumps, size, at, proto):
    """The RuntimeError message dumps gives for a list whose item `at`
    grows it, or None."""
    obj = list(range(size))
    obj[at] = Mutator(obj)
    try:
        dumps(obj, proto)
    except RuntimeError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("size, at", [(1, 0), (2, 0), (1001, 1000), (1500, 500)])
def test_list_grown_mid_dump(size, at, proto):
    # 3.14 (gh-149816) raises RuntimeError where a batch changed the list's size.
    assert runtime_error_of(anethum.dumps, size, at, proto) == runtime_error_of(pickle.dumps, size, at, proto)


class Unpicklable:
    def __reduce__(self):
        raise ValueError("no")


@needs_314
@pytest.mark.parametrize("obj", [
    [1, [2, Unpicklable()]], (1, (Unpicklable(),)), {"a": {"b": Unpicklable()}},
    {Unpicklable()}, frozenset({frozenset({Unpicklable()})}),
], ids=["list", "tuple", "dict", "set", "frozenset"])
def test_error_notes_are_pickles(obj, proto):
    # gh-122213: the notes pickle adds as the error unwinds; helpers
    # compare them from 3.14 on.
    assert_same_error(obj, proto, by_value=False)
    assert_same_error(obj, proto)
