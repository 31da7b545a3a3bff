"""Annotations of functions and classes pickled by value. From 3.14
(PEP 649/749) they are computed on first access by an ``__annotate__``
function, cached in the class (``__annotations_cache__``); the pickle
carries the annotate function, so annotations are there and equal after
loading, in a fresh process too, names defined later included."""
import dataclasses
import os
import pickle
import sys
import types
import typing

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import (  # noqa: E402
    PROTOCOLS, anethum_only, dumps, roundtrip, roundtrip_in_subprocess)

lazy_annotations = pytest.mark.skipif(
    sys.version_info < (3, 14), reason="annotations are lazy from 3.14 (PEP 649)")


def dynamic_module(source, name="dyn_annotations"):
    """A module made at run time (not in sys.modules: goes by value)."""
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    return module


FORWARD = """
class Node:
    T = int
    nxt: Later
    size: T
    plain: int

class Later:
    pass

class Unresolved:
    value: Missing

def f(x: Later, n: int = 1) -> Node:
    return x

def g(x: Missing) -> int:
    return 1
"""


def test_class_annotations_equal_after_load(protocol):
    def make():
        class Point:
            x: int
            y: "list[str]"
            z = 3
        return Point
    Point = roundtrip(make(), protocol)
    assert Point.__annotations__ == {"x": int, "y": "list[str]"}
    assert typing.get_type_hints(Point) == {"x": int, "y": list[str]}


def test_function_annotations_equal_after_load(protocol):
    def make():
        def f(a: int, b: "str" = "") -> float:
            return 1.0
        return f
    assert roundtrip(make(), protocol).__annotations__ == {"a": int, "b": "str", "return": float}


@lazy_annotations
def test_forward_references_in_a_fresh_process(protocol):
    module = dynamic_module(FORWARD)
    # Pickled before anything read them.
    roundtrip_in_subprocess([module.Node, module.Later, module.f], """
        Node, Later, f = obj
        assert Node.__annotations__ == {"nxt": Later, "size": int, "plain": int}
        assert f.__annotations__ == {"x": Later, "n": int, "return": Node}
        assert f(1) == 1
        import annotationlib
        assert annotationlib.get_annotations(Node, format=annotationlib.Format.STRING) == {
            "nxt": "Later", "size": "T", "plain": "int"}
    """, protocol)


@lazy_annotations
def test_unresolved_names_raise_after_load_as_before(protocol):
    module = dynamic_module(FORWARD)
    for obj in (module.Unresolved, module.g):
        with pytest.raises(NameError):
            obj.__annotations__
    roundtrip_in_subprocess([module.Unresolved, module.g], """
        import annotationlib
        for item in obj:
            try:
                item.__annotations__
            except NameError as exc:
                assert "Missing" in str(exc)
            else:
                raise AssertionError("annotations of %r resolved" % (item,))
            forward = annotationlib.get_annotations(item, format=annotationlib.Format.FORWARDREF)
            assert "Missing" in repr(forward), forward
        assert obj[1](0) == 1
    """, protocol)


@lazy_annotations
@anethum_only
def test_reading_annotations_changes_no_byte(protocol):
    def make():
        class Annotated:
            a: int
            def method(self, x: "Annotated") -> None:
                pass

        class Bare:
            pass
        return Annotated, Bare
    for cls in make():
        before = dumps(cls, protocol)
        cls.__annotations__
        cls.__annotate__
        assert "__annotations_cache__" in vars(cls)
        assert dumps(cls, protocol) == before


@lazy_annotations
def test_annotate_sees_the_loaded_class_namespace(protocol):
    def make():
        class Scoped:
            Alias = int
            x: Alias
        return Scoped
    roundtrip_in_subprocess(make(), """
        assert obj.__annotations__ == {"x": int}
        annotate = obj.__annotate__
        cell = annotate.__closure__[annotate.__code__.co_freevars.index("__classdict__")]
        obj.added = 1
        assert cell.cell_contents["added"] == 1
        assert cell.cell_contents["Alias"] is int
    """, protocol)


def test_annotations_mutated_in_place_are_kept(protocol):
    def make():
        class Mutated:
            a: int

        def f(x: int):
            pass
        Mutated.__annotations__["b"] = str
        f.__annotations__["y"] = bytes
        return Mutated, f
    Mutated, f = roundtrip(make(), protocol)
    assert Mutated.__annotations__ == {"a": int, "b": str}
    assert f.__annotations__ == {"x": int, "y": bytes}


def test_annotations_set_explicitly_are_kept(protocol):
    def make():
        class Replaced:
            a: int
        Replaced.__annotations__ = {"only": float}
        return Replaced
    assert roundtrip(make(), protocol).__annotations__ == {"only": float}


@lazy_annotations
def test_explicit_annotate_functions(protocol):
    def make():
        class Explicit:
            def __annotate__(format):
                return {"q": int}

        class Assigned:
            pass
        Assigned.__annotate__ = lambda format: {"r": str}
        return Explicit, Assigned
    Explicit, Assigned = make()
    roundtrip_in_subprocess([Explicit, Assigned], """
        Explicit, Assigned = obj
        assert "__annotate__" in vars(Explicit)
        assert Explicit.__annotations__ == {"q": int}
        assert Assigned.__annotations__ == {"r": str}
    """, protocol)


FUTURE = """
from __future__ import annotations

class Future:
    a: int
    b: Later
"""


@anethum_only
def test_future_annotations_keep_their_key_and_bytes(protocol):
    module = dynamic_module(FUTURE)
    data = dumps(module.Future, protocol)
    roundtrip_in_subprocess(module.Future, """
        assert "__annotations__" in vars(obj)
        assert obj.__annotations__ == {"a": "int", "b": "Later"}
    """, protocol)
    again = roundtrip_in_subprocess(module.Future, """
        import anethum
        result = anethum.dumps(obj, %d)
    """ % protocol, protocol)
    assert again == data


def test_dataclass_typed_dict_named_tuple_in_a_fresh_process(protocol):
    def make():
        @dataclasses.dataclass
        class Data:
            x: int
            y: "list[int]" = dataclasses.field(default_factory=list)

        class Movie(typing.TypedDict):
            title: str
            year: int

        class Pair(typing.NamedTuple):
            left: int
            right: str = ""
        return Data, Movie, Pair
    roundtrip_in_subprocess(make(), """
        import dataclasses, sys, typing
        Data, Movie, Pair = obj
        assert Data.__annotations__ == {"x": int, "y": "list[int]"}
        assert Data(1).y == [] and [f.name for f in dataclasses.fields(Data)] == ["x", "y"]
        assert typing.get_type_hints(Data.__init__)["x"] is int
        # 3.9's get_type_hints wants the class's module in sys.modules.
        if sys.version_info >= (3, 10):
            assert typing.get_type_hints(Movie) == {"title": str, "year": int}
        assert Movie.__annotations__ == {"title": str, "year": int}
        assert Movie(title="t", year=1) == {"title": "t", "year": 1}
        assert Pair.__annotations__ == {"left": int, "right": str}
        assert Pair(1) == (1, "")
    """, protocol)


def test_typed_dict_base_goes_by_reference(protocol):
    # typing.TypedDict is a function; the class TypedDicts derive from
    # lives as typing._TypedDict, and can't be made again.
    assert pickle.loads(dumps(typing._TypedDict, protocol)) is typing._TypedDict
