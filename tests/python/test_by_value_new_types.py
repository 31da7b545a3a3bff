"""Values of types that are new, or changed, in recent CPythons inside
what goes by value: frozendict (3.15, PEP 814), functools.partialmethod
(whose default reduction can't load from 3.14), the ``__dict__`` and
``__weakref__`` getsets (shared by all classes from 3.15), code objects
without ``co_lnotab`` (3.15)."""
import functools
import os
import pickle
import pickletools
import sys
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import (  # noqa: E402
    PROTOCOLS, anethum_only, dumps, roundtrip, roundtrip_in_subprocess)

has_frozendict = pytest.mark.skipif(
    not hasattr(__import__("builtins"), "frozendict"), reason="frozendict is new in 3.15 (PEP 814)")


def make_frozendict_users():
    table = frozendict(one=1, inc=lambda x: x + 1)  # noqa: F821 -- 3.15 builtin

    def with_default(x, table=frozendict(two=2, dbl=lambda x: 2 * x)):  # noqa: F821
        return table["dbl"](x) + table["two"]

    def with_closure(x):
        return table["inc"](x) + table["one"]

    class Holder:
        TABLE = frozendict(cls=None, get=lambda: 3)  # noqa: F821

        def get(self):
            return self.TABLE["get"]()
    return with_default, with_closure, Holder


@has_frozendict
def test_frozendict_in_defaults_closures_class_attributes(protocol):
    with_default, with_closure, Holder = roundtrip(make_frozendict_users(), protocol)
    assert with_default(5) == 12 and with_closure(5) == 7 and Holder().get() == 3
    assert type(with_default.__defaults__[0]) is frozendict  # noqa: F821
    assert type(Holder.TABLE) is frozendict  # noqa: F821


@has_frozendict
def test_frozendict_in_a_fresh_process(protocol):
    roundtrip_in_subprocess(make_frozendict_users(), """
        with_default, with_closure, Holder = obj
        assert with_default(5) == 12 and with_closure(5) == 7 and Holder().get() == 3
        assert type(Holder.TABLE) is frozendict
    """, protocol)


@has_frozendict
def test_frozendict_holding_its_function():
    # A frozendict that a function reaches through its globals, and that
    # holds the function: an immutable in a cycle.
    module = types.ModuleType("dyn_frozen_cycle")
    exec("def f():\n    return TABLE['f'] is f\nTABLE = frozendict(f=f)\n", module.__dict__)
    f = roundtrip(module.TABLE)["f"]
    assert f()


def make_partialmethod_class():
    class WithPartial:
        def scale(self, x, factor):
            return x * factor
        double = functools.partialmethod(scale, factor=2)
        triple = functools.partialmethod(lambda self, x, y: x + y, 3)
    return WithPartial


def test_partialmethod_in_a_class_by_value(protocol):
    WithPartial = roundtrip(make_partialmethod_class(), protocol)
    assert WithPartial().double(4) == 8 and WithPartial().triple(1) == 4


@pytest.mark.parametrize("proto_", range(pickle.HIGHEST_PROTOCOL + 1))
def test_partialmethod_loads(proto_):
    method = functools.partialmethod(max, 1, key=abs)
    loaded = roundtrip(method, proto_)
    assert (loaded.func, loaded.args, loaded.keywords) == (max, (1,), {"key": abs})
    assert vars(loaded) == vars(method)


@anethum_only
@pytest.mark.parametrize("proto_", range(pickle.HIGHEST_PROTOCOL + 1))
def test_partialmethod_bytes(proto_):
    # Pickle's own bytes where they load (before 3.14, protocols 0 and 1).
    method = functools.partialmethod(max, 1)
    try:
        expected_loads = pickle.loads(pickle.dumps(method, proto_)) is not None
    except TypeError:
        expected_loads = False
    if expected_loads:
        assert dumps(method, proto_) == pickle.dumps(method, proto_)
    else:
        ops = [op.name for op, _, _ in pickletools.genops(dumps(method, proto_))]
        assert "NEWOBJ" in ops


def make_class_with_slots_dict():
    class Plain:
        pass

    class Slotted:
        __slots__ = ("__dict__", "__weakref__")
    return Plain, Slotted


@pytest.mark.parametrize("name", ["__dict__", "__weakref__"])
def test_class_getsets_are_found_again(name, protocol):
    Plain, Slotted = make_class_with_slots_dict()
    graph = [Plain, vars(Plain)[name], Slotted, vars(Slotted)[name]]
    loaded = roundtrip(graph, protocol)
    # Loaded in this process: the classes are the same ones.
    assert loaded[0] is Plain and loaded[2] is Slotted
    assert loaded[1] is vars(Plain)[name] and loaded[3] is vars(Slotted)[name]


@pytest.mark.parametrize("name", ["__dict__", "__weakref__"])
def test_class_getsets_in_a_fresh_process(name, protocol):
    Plain, _ = make_class_with_slots_dict()
    roundtrip_in_subprocess([Plain, vars(Plain)[name]], """
        cls, descriptor = obj
        assert descriptor is vars(cls)[%r]
        instance = cls()
        assert descriptor.__get__(instance) is not NotImplemented
    """ % name, protocol)


def test_builtin_getsets_unchanged(protocol):
    assert roundtrip(float.real, protocol) is float.real
    assert roundtrip(vars(type)["__dict__"], protocol) is vars(type)["__dict__"]


@pytest.mark.skipif(sys.version_info < (3, 10), reason="co_lines() is 3.10+")
def test_code_objects_round_trip_with_their_line_table(protocol):
    def make():
        def f(x):
            y = x + 1
            return y * 2
        return f
    f = make()
    g = roundtrip(f, protocol)
    assert g(1) == 4
    assert list(g.__code__.co_lines()) == list(f.__code__.co_lines())
    if sys.version_info >= (3, 11):
        assert list(g.__code__.co_positions()) == list(f.__code__.co_positions())
    if sys.version_info >= (3, 15):
        assert not hasattr(types.CodeType, "co_lnotab")
