"""Unit tests of anethum.loaders (the by-value load-time helpers, a file
format contract) and anethum._registry, without the pickler."""
import abc
import builtins
import dataclasses
import enum
import inspect
import io
import os
import pickle
import sys
import types
import typing
from collections import OrderedDict

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from anethum import _registry, loaders  # noqa: E402

# The contract: these names and signatures can never change.
EXPECTED_SIGNATURES = {
    "make_function": "(code, globals, name, argdefs, closure)",
    "function_setstate": "(func, state)",
    "make_empty_cell": "()",
    "make_cell": "(value)",
    "make_skeleton_class": "(type_constructor, name, bases, type_kwargs, "
                           "class_tracker_id, extra)",
    "make_skeleton_enum": "(bases, name, qualname, members, module, "
                          "class_tracker_id, extra)",
    "class_setstate": "(cls, state)",
    "make_typevar": "(name, bound, constraints, covariant, contravariant, "
                    "class_tracker_id)",
    "make_paramspec": "(name, bound, covariant, contravariant, class_tracker_id)",
    "subimport": "(name)",
    "dynamic_subimport": "(name, vars)",
    "builtin_type": "(name)",
    "make_dict_keys": "(items, is_ordered=False)",
    "make_dict_values": "(items, is_ordered=False)",
    "make_dict_items": "(mapping, is_ordered=False)",
    "file_reconstructor": "(retval)",
    "dataclass_field_sentinel": "(name)",
    "lookup_class_or_track": "(class_tracker_id, class_def)",
    "get_or_create_tracker_id": "(class_def)",
    "make_class_dict_cell": "(cls)",
    "getset_descriptor": "(owner, name)",
}


def test_format_version():
    assert loaders.FORMAT_VERSION == 1


@pytest.mark.parametrize("name", sorted(EXPECTED_SIGNATURES))
def test_signature_contract(name):
    func = getattr(loaders, name)
    assert func.__module__ == "anethum.loaders"
    assert func.__qualname__ == name
    assert str(inspect.signature(func)) == EXPECTED_SIGNATURES[name]
    assert func.__doc__
    assert name in loaders.__all__


@pytest.mark.parametrize("name", sorted(EXPECTED_SIGNATURES))
def test_loaders_pickle_by_reference(name):
    # What a pickle refers to must be found again by name.
    assert pickle.loads(pickle.dumps(getattr(loaders, name), 2)) is getattr(loaders, name)


# -- functions and cells ----------------------------------------------------

def _fresh_function_like(func):
    """Rebuild ``func`` by hand the way a by-value pickle does."""
    closure = None
    if func.__closure__ is not None:
        closure = tuple(loaders.make_empty_cell() for _ in func.__closure__)
    new = loaders.make_function(func.__code__, {"__name__": "m"}, None, None, closure)
    cells = None
    if func.__closure__ is not None:
        cells = tuple(loaders.make_cell(c.cell_contents) for c in func.__closure__)
    used = {k: func.__globals__[k] for k in func.__code__.co_names if k in func.__globals__}
    slotstate = {
        "__name__": func.__name__, "__qualname__": func.__qualname__,
        "__annotations__": func.__annotations__, "__kwdefaults__": func.__kwdefaults__,
        "__defaults__": func.__defaults__, "__module__": func.__module__,
        "__doc__": func.__doc__, "__closure__": cells, "__globals__": used,
        "_anethum_submodules": [],
    }
    loaders.function_setstate(new, (dict(func.__dict__), slotstate))
    return new


def test_make_function_and_setstate():
    a, b = 2, 3

    def f(x, y=1, *, z: int = 4) -> int:
        "doc of f"
        return a * x + b * y + z + len(os.sep)
    f.attr = "hello"
    g = _fresh_function_like(f)
    assert g is not f
    assert g(1) == f(1) == 2 + 3 + 4 + len(os.sep)
    assert g.__name__ == "f" and g.__qualname__ == f.__qualname__
    assert g.__defaults__ == (1,) and g.__kwdefaults__ == {"z": 4}
    assert g.__annotations__ == {"z": int, "return": int}
    assert g.__doc__ == "doc of f" and g.__module__ == f.__module__
    assert g.attr == "hello"
    assert g.__globals__["__builtins__"] is builtins.__dict__
    assert g.__globals__["os"] is os
    assert "pytest" not in g.__globals__


def test_make_function_sets_builtins():
    code = compile("len([1, 2])", "<x>", "eval")
    ns = {}
    f = loaders.make_function(code, ns, None, None, None)
    assert ns["__builtins__"] is builtins.__dict__
    assert f() == 2


def test_function_setstate_recursive_closure_and_empty_cell():
    def outer():
        def fact(n):
            return 1 if n <= 1 else n * fact(n - 1)

        def never():
            return unset  # noqa: F821 -- stays an empty cell
        if False:
            unset = 0
        return fact, never
    fact, never = outer()
    fact2 = loaders.make_function(fact.__code__, {}, None, None, (loaders.make_empty_cell(),))
    loaders.function_setstate(fact2, ({}, {"__closure__": (loaders.make_cell(fact2),),
                                           "__globals__": {}, "__name__": "fact"}))
    assert fact2(5) == 120
    never2 = loaders.make_function(never.__code__, {}, None, None, (loaders.make_empty_cell(),))
    loaders.function_setstate(never2, ({}, {"__closure__": (loaders.make_empty_cell(),),
                                            "__globals__": {}}))
    with pytest.raises(NameError):
        never2()


def test_function_setstate_does_not_mutate_state():
    f = loaders.make_function((lambda: 1).__code__, {}, None, None, None)
    slotstate = {"__globals__": {"k": 1}, "__closure__": None,
                 "_anethum_submodules": [], "__name__": "g"}
    loaders.function_setstate(f, ({}, slotstate))
    assert set(slotstate) == {"__globals__", "__closure__", "_anethum_submodules", "__name__"}
    assert f.__name__ == "g" and f.__globals__["k"] == 1


def test_cells():
    empty = loaders.make_empty_cell()
    assert isinstance(empty, types.CellType)
    with pytest.raises(ValueError):
        empty.cell_contents
    assert loaders.make_cell(None).cell_contents is None
    obj = object()
    assert loaders.make_cell(obj).cell_contents is obj
    assert loaders.make_empty_cell() is not empty


# -- classes ------------------------------------------------------------------

def test_skeleton_class_and_setstate():
    class Meta(type):
        pass
    cls = loaders.make_skeleton_class(Meta, "K", (object,), {"__module__": "mod"}, None, None)
    assert type(cls) is Meta and cls.__name__ == "K" and cls.__module__ == "mod"

    def method(self):
        return self.v * 2
    out = loaders.class_setstate(cls, ({"v": 21, "method": method, "__doc__": "D"}, {}))
    assert out is cls
    assert cls().method() == 42 and cls.__doc__ == "D"


def test_skeleton_class_tracking():
    tid = "tracked-" + os.urandom(8).hex()
    c1 = loaders.make_skeleton_class(type, "T", (), {}, tid, None)
    c2 = loaders.make_skeleton_class(type, "T", (), {}, tid, None)
    assert c1 is c2
    assert loaders.get_or_create_tracker_id(c1) == tid
    c3 = loaders.make_skeleton_class(type, "T", (), {}, None, None)
    assert c3 is not c1


def test_get_or_create_tracker_id():
    class A:
        pass

    class B:
        pass
    ida = loaders.get_or_create_tracker_id(A)
    assert isinstance(ida, str) and len(ida) == 32
    int(ida, 16)
    assert loaders.get_or_create_tracker_id(A) == ida
    assert loaders.get_or_create_tracker_id(B) != ida
    assert loaders.lookup_class_or_track(ida, B) is A
    assert loaders.lookup_class_or_track(None, B) is B


def test_class_setstate_abc_registry():
    base = loaders.make_skeleton_class(abc.ABCMeta, "Base", (), {}, None, None)

    class Impl:
        pass
    loaders.class_setstate(base, ({"_abc_impl": [Impl]}, {}))
    assert issubclass(Impl, base)
    assert isinstance(Impl(), base)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="__firstlineno__ is 3.13+")
def test_class_setstate_keeps_firstlineno():
    cls = loaders.make_skeleton_class(type, "F", (), {}, None, None)
    loaders.class_setstate(cls, ({"__firstlineno__": 123, "a": 1}, {}))
    assert cls.__firstlineno__ == 123


@pytest.mark.parametrize("base", [enum.Enum, enum.IntEnum, enum.Flag])
def test_skeleton_enum(base):
    e = loaders.make_skeleton_enum((base,), "Color", "f.<locals>.Color",
                                   {"RED": 1, "GREEN": 2}, "somemod", None, None)
    assert isinstance(e, type(base)) and issubclass(e, base)
    assert e.__qualname__ == "f.<locals>.Color" and e.__module__ == "somemod"
    assert e(1) is e.RED and e["GREEN"].value == 2
    assert [m.name for m in e] == ["RED", "GREEN"]
    loaders.class_setstate(e, ({"describe": lambda self: self.name.lower()}, {}))
    assert e.GREEN.describe() == "green"


def test_typevar():
    tv = loaders.make_typevar("T", None, (int, str), False, False, None)
    assert tv.__name__ == "T" and tv.__constraints__ == (int, str)
    tv2 = loaders.make_typevar("U", int, (), True, False, None)
    assert tv2.__bound__ is int and tv2.__covariant__ and not tv2.__contravariant__
    tid = loaders.get_or_create_tracker_id(tv2)
    assert loaders.make_typevar("U", int, (), True, False, tid) is tv2


@pytest.mark.skipif(not hasattr(typing, "ParamSpec"), reason="ParamSpec is 3.10+")
def test_paramspec():
    ps = loaders.make_paramspec("P", None, False, False, None)
    assert isinstance(ps, typing.ParamSpec) and ps.__name__ == "P"
    tid = loaders.get_or_create_tracker_id(ps)
    assert loaders.make_paramspec("P", None, False, False, tid) is ps


# -- modules, types, misc -----------------------------------------------------

def test_subimport():
    import xml.dom.minidom
    assert loaders.subimport("xml.dom.minidom") is xml.dom.minidom
    assert loaders.subimport("os") is os


def test_dynamic_subimport():
    m = loaders.dynamic_subimport("dyn_mod", {"x": 1, "__doc__": "d"})
    assert isinstance(m, types.ModuleType) and m.__name__ == "dyn_mod"
    assert m.x == 1 and m.__builtins__ is builtins.__dict__
    assert "dyn_mod" not in sys.modules
    exec("def f(): return len([x])", m.__dict__)
    assert m.f() == 1


def test_builtin_type():
    assert loaders.builtin_type("CodeType") is types.CodeType
    assert loaders.builtin_type("FunctionType") is types.FunctionType
    assert loaders.builtin_type("MappingProxyType") is types.MappingProxyType


def test_dict_views():
    k = loaders.make_dict_keys(["a", "b"])
    assert type(k) is type({}.keys()) and list(k) == ["a", "b"]
    v = loaders.make_dict_values([1, 1, 2])
    assert type(v) is type({}.values()) and list(v) == [1, 1, 2]
    i = loaders.make_dict_items({"a": 1})
    assert type(i) is type({}.items()) and list(i) == [("a", 1)]
    od = OrderedDict()
    assert type(loaders.make_dict_keys(["a"], True)) is type(od.keys())
    assert type(loaders.make_dict_values([1], True)) is type(od.values())
    oi = loaders.make_dict_items({"b": 2, "a": 1}, True)
    assert type(oi) is type(od.items()) and list(oi) == [("b", 2), ("a", 1)]


def test_file_reconstructor():
    s = io.StringIO("x")
    assert loaders.file_reconstructor(s) is s


def test_dataclass_field_sentinel():
    for s in (dataclasses._FIELD, dataclasses._FIELD_CLASSVAR, dataclasses._FIELD_INITVAR):
        assert loaders.dataclass_field_sentinel(s.name) is s
    with pytest.raises(KeyError):
        loaders.dataclass_field_sentinel("nope")


# -- registry -----------------------------------------------------------------

def test_registry_errors():
    with pytest.raises(ValueError, match="Input should be a module object"):
        _registry.register_pickle_by_value("os")
    with pytest.raises(ValueError, match="Input should be a module object"):
        _registry.unregister_pickle_by_value(42)
    fake = types.ModuleType("not_in_sys_modules_xyz")
    with pytest.raises(ValueError, match="was not imported correctly"):
        _registry.register_pickle_by_value(fake)
    with pytest.raises(ValueError, match="is not registered for pickle by value"):
        _registry.unregister_pickle_by_value(pickle)


def test_registry_roundtrip():
    import by_value_support.regpkg as regpkg
    import by_value_support.regpkg.sub as sub
    the_set = _registry.PICKLE_BY_VALUE_MODULES
    assert not _registry.is_registered_pickle_by_value(sub)
    _registry.register_pickle_by_value(regpkg)
    try:
        assert _registry.PICKLE_BY_VALUE_MODULES is the_set
        assert "by_value_support.regpkg" in the_set
        listed = _registry.list_registry_pickle_by_value()
        assert listed == the_set and listed is not the_set
        assert _registry.is_registered_pickle_by_value(regpkg)
        assert _registry.is_registered_pickle_by_value(sub)
        assert _registry.is_registered_pickle_by_value("by_value_support.regpkg.sub")
        assert not _registry.is_registered_pickle_by_value("by_value_support")
        assert not _registry.is_registered_pickle_by_value("by_value_support.regpkgx")
        assert not _registry.is_registered_pickle_by_value(pickle)
    finally:
        _registry.unregister_pickle_by_value(regpkg)
    assert _registry.PICKLE_BY_VALUE_MODULES is the_set
    assert "by_value_support.regpkg" not in the_set
    assert not _registry.is_registered_pickle_by_value(sub)
