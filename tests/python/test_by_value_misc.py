"""By-value pickling of modules (dynamic, importable, registered) and of the
other objects pickle refuses: mappingproxy, dict views, memoryview, files,
loggers..."""
import collections
import logging
import os
import pickle
import sys
import tempfile
import types
import weakref
import xml.dom

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import anethum  # noqa: E402
from by_value_support.roundtrip import (  # noqa: E402
    PROTOCOLS, anethum_only, dumps, globals_in_pickle, modules_in_pickle,
    roundtrip, roundtrip_in_subprocess)
import by_value_support.regpkg as regpkg  # noqa: E402
import by_value_support.regpkg.sub as regsub  # noqa: E402

REGPKG = "by_value_support.regpkg"


# -- modules --------------------------------------------------------------------

def make_dynamic_module():
    m = types.ModuleType("dyn_test_module", "Doc of the dynamic module.")
    exec("K = 5\n"
         "def f(x):\n    return x + K\n"
         "class Thing:\n    def get(self):\n        return K * 2\n", m.__dict__)
    return m


def test_dynamic_module(protocol):
    m = make_dynamic_module()
    assert "dyn_test_module" not in sys.modules
    m2 = roundtrip(m, protocol)
    assert isinstance(m2, types.ModuleType) and m2 is not m
    assert m2.__name__ == "dyn_test_module" and m2.__doc__ == "Doc of the dynamic module."
    assert m2.f(1) == 6 and m2.Thing().get() == 10 and m2.K == 5
    assert "dyn_test_module" not in sys.modules


def test_function_using_dynamic_module(protocol):
    m = make_dynamic_module()
    f = lambda x: m.f(x) * 2  # noqa: E731
    assert roundtrip(f, protocol)(1) == 12


def test_dynamic_module_in_subprocess():
    roundtrip_in_subprocess(make_dynamic_module(), """
        assert obj.f(2) == 7 and obj.Thing().get() == 10
        assert "dyn_test_module" not in sys.modules
    """)


def test_importable_module_by_reference(protocol):
    assert roundtrip(os, protocol) is os
    assert roundtrip(os.path, protocol) is os.path
    assert roundtrip(xml.dom, protocol) is xml.dom
    assert roundtrip(regsub, protocol) is regsub


@anethum_only
def test_importable_module_uses_subimport(protocol):
    found = globals_in_pickle(dumps(xml.dom, protocol))
    assert found == {("anethum.loaders", "subimport")}


# -- register_pickle_by_value -----------------------------------------------------

@pytest.fixture
def registered():
    anethum.register_pickle_by_value(regpkg)
    try:
        yield regpkg
    finally:
        if REGPKG in anethum.list_registry_pickle_by_value():
            anethum.unregister_pickle_by_value(regpkg)


def test_registered_module_functions_by_reference_by_default(protocol):
    assert REGPKG not in anethum.list_registry_pickle_by_value()
    assert roundtrip(regpkg.add_offset, protocol) is regpkg.add_offset
    assert roundtrip(regpkg.Point, protocol) is regpkg.Point
    assert (REGPKG, "add_offset") in globals_in_pickle(dumps(regpkg.add_offset, protocol))


def test_register_pickle_by_value(registered, protocol):
    assert REGPKG in anethum.list_registry_pickle_by_value()
    objs = (regpkg.add_offset, regpkg.uses_sub, regpkg.uses_imported_name,
            regpkg.Point, regpkg.Point(1, -2), regsub.scale, regsub.Scaler)
    data = dumps(objs, protocol)
    modules = modules_in_pickle(data)
    assert not any(m == REGPKG or m.startswith(REGPKG + ".") for m in modules), modules
    add_offset, uses_sub, uses_imported_name, Point, p, scale, Scaler = pickle.loads(data)
    assert add_offset is not regpkg.add_offset
    assert add_offset(1) == 11 and uses_sub(2) == 7 and uses_imported_name(2) == 5
    assert p.norm1() == 3 and type(p) is Point
    assert scale(2) == 6 and Scaler()(2) == 6
    # by value, but class tracking finds the original class in this process
    assert Scaler is regsub.Scaler and Point is regpkg.Point


def test_register_pickle_by_value_in_subprocess(registered):
    objs = (regpkg.add_offset, regpkg.uses_sub, regpkg.Point(3, 4), regsub.Scaler)
    roundtrip_in_subprocess(objs, """
        add_offset, uses_sub, p, Scaler = obj
        assert add_offset(1) == 11 and uses_sub(1) == 4
        assert p.norm1() == 7 and Scaler(5)(2) == 10
        assert not any(m.startswith("by_value_support") for m in sys.modules)
    """)


def test_unregister_back_to_reference(protocol):
    anethum.register_pickle_by_value(regpkg)
    assert roundtrip(regpkg.add_offset, protocol) is not regpkg.add_offset
    anethum.unregister_pickle_by_value(regpkg)
    assert REGPKG not in anethum.list_registry_pickle_by_value()
    assert roundtrip(regpkg.add_offset, protocol) is regpkg.add_offset
    assert roundtrip(regsub.scale, protocol) is regsub.scale


def test_register_submodule_only(protocol):
    anethum.register_pickle_by_value(regsub)
    try:
        assert roundtrip(regsub.scale, protocol) is not regsub.scale
        assert roundtrip(regpkg.add_offset, protocol) is regpkg.add_offset
    finally:
        anethum.unregister_pickle_by_value(regsub)


def test_registry_errors():
    with pytest.raises(ValueError, match="Input should be a module object"):
        anethum.register_pickle_by_value(REGPKG)
    with pytest.raises(ValueError, match="was not imported correctly"):
        anethum.register_pickle_by_value(types.ModuleType("nowhere_mod"))
    with pytest.raises(ValueError, match="is not registered for pickle by value"):
        anethum.unregister_pickle_by_value(regpkg)


@anethum_only
def test_registry_is_anethum_registry():
    from anethum import _registry
    assert anethum.register_pickle_by_value is _registry.register_pickle_by_value
    assert anethum.unregister_pickle_by_value is _registry.unregister_pickle_by_value
    assert anethum.list_registry_pickle_by_value is _registry.list_registry_pickle_by_value
    the_set = _registry.PICKLE_BY_VALUE_MODULES
    anethum.register_pickle_by_value(regpkg)
    try:
        assert _registry.PICKLE_BY_VALUE_MODULES is the_set and REGPKG in the_set
    finally:
        anethum.unregister_pickle_by_value(regpkg)
    assert REGPKG not in the_set


# -- other objects ------------------------------------------------------------

def test_logger_by_name(protocol):
    log = logging.getLogger("anethum.tests.by_value")
    assert roundtrip(log, protocol) is log
    assert roundtrip(logging.getLogger(), protocol) is logging.getLogger()
    got = roundtrip(lambda: log.name, protocol)
    assert got() == "anethum.tests.by_value"


def test_mappingproxy(protocol):
    mp = types.MappingProxyType({"a": 1, "b": [2]})
    got = roundtrip(mp, protocol)
    assert type(got) is types.MappingProxyType and dict(got) == {"a": 1, "b": [2]}


def test_weakset(protocol):
    ws_items = [xml, os]  # modules: weakly referenceable and kept alive
    got = roundtrip(weakref.WeakSet(ws_items), protocol)
    assert isinstance(got, weakref.WeakSet) and set(got) == {xml, os}


def test_dict_views(protocol):
    d = {"b": 1, "a": 2}
    k, v, i = roundtrip((d.keys(), d.values(), d.items()), protocol)
    assert type(k) is type(d.keys()) and list(k) == ["b", "a"]
    assert type(v) is type(d.values()) and list(v) == [1, 2]
    assert type(i) is type(d.items()) and list(i) == [("b", 1), ("a", 2)]


def test_ordered_dict_views(protocol):
    od = collections.OrderedDict([("z", 1), ("y", 2)])
    k, v, i = roundtrip((od.keys(), od.values(), od.items()), protocol)
    assert type(k) is type(od.keys()) and list(k) == ["z", "y"]
    assert type(v) is type(od.values()) and list(v) == [1, 2]
    assert type(i) is type(od.items()) and list(i) == [("z", 1), ("y", 2)]


def test_memoryview(protocol):
    assert roundtrip(memoryview(b"abc\x00"), protocol) == b"abc\x00"


def test_file_handle(protocol, tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("line one\nline two\n")
    with open(path, "r") as f:
        f.readline()
        pos = f.tell()
        got = roundtrip(f, protocol)
        assert f.tell() == pos  # the original is left where it was
    assert got.read() == "line two\n"
    got.seek(0)
    assert got.read() == "line one\nline two\n"
    assert got.name == str(path)


def test_file_handle_errors(protocol, tmp_path):
    path = tmp_path / "w.txt"
    with open(path, "w") as f:
        with pytest.raises(pickle.PicklingError):
            dumps(f, protocol)
    with pytest.raises(pickle.PicklingError):
        dumps(f, protocol)  # closed
    with tempfile.TemporaryFile("w+") as f:
        f.write("x")
        assert dumps(1, protocol)  # the pickler is still fine


def test_misc_in_subprocess():
    od = collections.OrderedDict([("z", 1)])
    roundtrip_in_subprocess(
        (types.MappingProxyType({"a": 1}), od.keys(), {"q": 1}.items(),
         memoryview(b"xy"), logging.getLogger("anethum.sub")), """
        import logging, types, collections
        mp, k, i, mv, log = obj
        assert type(mp) is types.MappingProxyType and mp["a"] == 1
        assert type(k) is type(collections.OrderedDict().keys()) and list(k) == ["z"]
        assert list(i) == [("q", 1)] and mv == b"xy"
        assert log is logging.getLogger("anethum.sub")
    """)
