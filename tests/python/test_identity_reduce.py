"""Byte identity for the reduce protocol, copyreg and the extension registry."""
import contextlib
import copyreg
import datetime
import decimal
import enum
import fractions
import types
import uuid

import pytest

import objects
from helpers import assert_same_dumps_outcome, assert_same_pickle


class Color(enum.Enum):
    RED = 1


REDUCE_CASES = {
    "plain": objects.Plain(a=1, b=[2, 3]),
    "plain-empty": objects.Plain(),
    "empty-class": objects.Empty(),
    "getstate": objects.GetState([1, 2]),
    "falsy-state": objects.FalsyState(),
    "none-state": objects.NoneState(),
    "slots": objects.Slots(1, 2),
    "slots-partial": objects.Slots(1),
    "slots-and-dict": objects.SlotsAndDict(1, 2, 3),
    "slots-getstate": objects.SlotsWithGetstate(5),
    "getnewargs": objects.GetNewArgs(5, "five"),
    "getnewargs-ex-args": objects.GetNewArgsEx(1, 2),
    "getnewargs-ex-kwargs": objects.GetNewArgsEx(1, key="v"),
    "getnewargs-ex-empty": objects.GetNewArgsEx(),
    "reduce-2": objects.Reduce2(1, "a", None),
    "reduce-2-noargs": objects.Reduce2(),
    "reduce-3-dict": objects.Reduce3({"x": 1}),
    "reduce-3-tuple": objects.Reduce3(({"x": 1}, {"y": 2})),
    "reduce-3-falsy": objects.Reduce3(0),
    "reduce-items": objects.ReduceItems([1, 2, 3], [("a", 1), ("b", 2)]),
    "reduce-items-large": objects.ReduceItems(list(range(2500)),
                                              [(i, i) for i in range(2500)]),
    "reduce-items-empty": objects.ReduceItems([], []),
    "items-list": objects.ItemsList([1, [2], 3]),
    "items-dict": objects.ItemsDict(a=1, b=2),
    "state-setter": objects.StateSetter({"a": 1}),
    "state-setter-none": objects.StateSetter({"a": 1}, None),
    "reduce-ex": objects.ReduceEx("v"),
    "reduce-ex-wins": objects.ReduceExOverridesReduce(),
    "reduce-string": objects.SINGLETON,
    "newobj": objects.NewObj(3),
    "newobj-ex": objects.NewObjEx(),
    "copyreg-pickle": objects.Registered(9),
    "metaclass-instance": objects.WithMeta(),
    "partial": objects.partial_obj,
    "namespace": types.SimpleNamespace(a=1, b=[2]),
    "datetime": datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
    "datetime-tz": datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2), "X")),
    "date": datetime.date(1999, 12, 31),
    "timedelta": datetime.timedelta(days=-1, seconds=5),
    "decimal": decimal.Decimal("-1.50"),
    "fraction": fractions.Fraction(3, 7),
    "enum": Color.RED,
    "uuid": uuid.UUID(int=12345),
    "exception": ValueError("boom", 1),
    "complex-subclass-state": objects.MyFloat(1.0),
}


@pytest.mark.parametrize("name", sorted(REDUCE_CASES))
def test_reduce(name, proto):
    assert_same_dumps_outcome(REDUCE_CASES[name], proto)


@pytest.mark.parametrize("name", sorted(REDUCE_CASES))
def test_reduce_shared_twice(name, proto):
    obj = REDUCE_CASES[name]
    assert_same_dumps_outcome([obj, obj, (obj,)], proto)


def test_object_referencing_itself_via_state(proto):
    p = objects.Plain()
    p.me = p
    p.items = [p, (p,)]
    assert_same_pickle(p, proto)


def test_reduce_args_referencing_container(proto):
    lst = []
    r = objects.Reduce2(lst)
    lst.append(r)
    assert_same_dumps_outcome(lst, proto)


def test_newobj_args_with_cycle(proto):
    n = objects.NewObj()
    n.value = [n]
    assert_same_pickle(n, proto)


def test_exception_with_traceback_free_state(proto):
    exc = KeyError("k")
    exc.note = "extra"
    assert_same_pickle(exc, proto)


@contextlib.contextmanager
def extension(obj, code):
    module, name = obj.__module__, obj.__qualname__
    copyreg.add_extension(module, name, code)
    try:
        yield
    finally:
        copyreg.remove_extension(module, name, code)


EXT_CODES = [1, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF]


@pytest.mark.parametrize("code", EXT_CODES, ids=hex)
def test_extension_registry(code, proto):
    with extension(objects.Plain, code):
        assert_same_pickle([objects.Plain, objects.Plain(x=1), objects.Plain],
                           proto)


@pytest.mark.parametrize("code", EXT_CODES, ids=hex)
def test_extension_registry_function(code, proto):
    with extension(objects.module_function, code):
        assert_same_pickle((objects.module_function,) * 2, proto)
