"""Byte identity for instances of plain classes, written without calling
`__reduce_ex__` once a dump has seen their type reduced the plain way
(runtime/src/save/plain_instance.rs). Every case pickles several instances
of a type in one dump, so the first one teaches the shortcut and the later
ones take it; anything that could change `object.__reduce_ex__`'s answer
must send them back the long way, giving pickle's bytes either way."""
import abc
import copyreg
import dataclasses
import io
import pickle
import types
import pytest
from hypothesis import given, strategies as st

import anethum
from helpers import assert_bytes_equal, assert_same_dumps_outcome, assert_same_pickler_output, pickler_pair


class Plain:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Child(Plain):
    pass


class Mixin:
    def hello(self):
        return "hi"


class Multi(Mixin, Child):
    pass


class Empty:
    pass


class SlotsOnly:
    __slots__ = ("a", "b")

    def __init__(self, a=1, b=2):
        self.a, self.b = a, b


class SlotsAndDict:
    __slots__ = ("a", "__dict__")

    def __init__(self, a=1, **kw):
        self.a = a
        self.__dict__.update(kw)


class NoSlots:
    __slots__ = ()


class Mangled:
    __slots__ = ("__secret", "shown")

    def __init__(self, secret=None, shown=None):
        if secret is not None:
            self.__secret = secret
        if shown is not None:
            self.shown = shown


class SlotsChild(SlotsOnly):
    __slots__ = ("c",)

    def __init__(self, a=1, b=2, c=3):
        super().__init__(a, b)
        self.c = c


class SlotsChildWithDict(SlotsOnly):
    pass


class Shadowed(SlotsOnly):
    """A property over an inherited slot: read through it, as pickle does."""

    def __init__(self, a=1, b=2):
        SlotsOnly.a.__set__(self, a)
        self.b = b

    @property
    def a(self):
        return "shadowed"


def _slot_variety():
    partial = SlotsOnly()
    del partial.b
    empty = SlotsOnly()
    del empty.a, empty.b
    child_dict = SlotsChildWithDict(7, 8)
    child_dict.extra = [1]
    bare_child = SlotsChildWithDict()
    return [SlotsOnly(), partial, empty, SlotsOnly(b=[1]), Mangled(1, 2), Mangled(shown=3), Mangled(),
            SlotsChild(), SlotsChild(4, 5, 6), child_dict, bare_child, SlotsChildWithDict(9),
            Shadowed(), Shadowed(2, 3)]


class GetState(Plain):
    def __getstate__(self):
        return {"state": sorted(self.__dict__)}

    def __setstate__(self, state):
        self.__dict__.update(state)


class ReduceEx(Plain):
    def __reduce_ex__(self, protocol):
        return (Plain, (), dict(self.__dict__, via="reduce_ex"))


class Reduce(Plain):
    def __reduce__(self):
        return (Plain, (), dict(self.__dict__, via="reduce"))


class NewArgs(Plain):
    def __getnewargs__(self):
        return (1, 2)

    def __new__(cls, *args):
        return super().__new__(cls)


class NewArgsEx(Plain):
    def __getnewargs_ex__(self):
        return ((1,), {"k": 2})

    def __new__(cls, *args, **kw):
        return super().__new__(cls)


class GetAttr(Plain):
    def __getattr__(self, name):
        if name == "__getstate__":
            return lambda: {"from": "getattr"}
        raise AttributeError(name)


class GetAttribute(Plain):
    def __getattribute__(self, name):
        return object.__getattribute__(self, name)


class ClassProperty(Plain):
    @property
    def __class__(self):
        return Plain


class DictProperty(Plain):
    @property
    def __dict__(self):
        return {"fake": True}


class MetaReduceData(type):
    @property
    def __reduce__(cls):
        return lambda *a: (Plain, ())


class MetaReducePlain(type):
    def __reduce__(cls):
        return (Plain, ())


class WithMetaData(metaclass=MetaReduceData):
    def __init__(self, **kw):
        self.__dict__.update(kw)


class WithMetaPlain(metaclass=MetaReducePlain):
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Abstract(abc.ABC):
    def __init__(self, **kw):
        self.__dict__.update(kw)


class ListSub(list):
    pass


class DictSub(dict):
    pass


class IntSub(int):
    pass


class StrSub(str):
    pass


class Error(Exception):
    pass


@dataclasses.dataclass
class Data:
    x: int
    y: list


class FromCopyreg(Plain):
    pass


copyreg.pickle(FromCopyreg, lambda obj: (FromCopyreg, (), {"copyreg": True}))


def _with_attrs(cls, n=3, **kw):
    out = []
    for i in range(n):
        obj = cls.__new__(cls)
        if hasattr(obj, "__dict__") and not isinstance(obj, DictProperty):
            obj.__dict__.update(kw, i=i)
        out.append(obj)
    return out


def _slots_objects():
    a = SlotsAndDict(1, z=2)
    b = SlotsAndDict(3)
    return [SlotsOnly(), SlotsOnly(5), a, b, NoSlots(), NoSlots()]


def _emptied():
    objs = [Plain(x=1), Plain(x=2), Plain()]
    del objs[1].x
    objs[2].__dict__  # materialized but empty
    return objs + [Plain(), Empty(), Empty()]


def _own_overrides():
    # The type is learnt as plain from the first two; then an instance
    # carries its own __getstate__ / __reduce_ex__ in its __dict__, which
    # attribute lookup finds before object's.
    a, b, c, d = Plain(v=1), Plain(v=2), Plain(v=3), Plain(v=4)
    c.__getstate__ = dict
    d.__reduce_ex__ = _reduce_ex_replacement
    return [a, b, c, d, Plain(v=5)]


def _reduce_ex_replacement(protocol):
    return (Plain, (), {"replaced": protocol})


def _shared_and_recursive():
    a, b = Plain(v=1), Plain(v=2)
    a.self = a
    b.other = a
    c = Plain(v=3)
    return [a, b, c, c, a.__dict__, b, vars(c)]


def _nested():
    leaf = [Plain(depth=3, items=[Plain(k=i) for i in range(3)])]
    return [Child(child=Multi(inner=leaf)), Multi(x=leaf), Child(), Multi()]


CASES = {
    "plain": lambda: _with_attrs(Plain, 5, a=1, b="two", c=[3.0]),
    "child-and-multi": lambda: _with_attrs(Child, 2, a=1) + _with_attrs(Multi, 3, b=2),
    "emptied-and-empty": _emptied,
    "slots": _slots_objects,
    "slot-variety": _slot_variety,
    "getstate": lambda: _with_attrs(GetState, 3, a=1),
    "reduce-ex": lambda: _with_attrs(ReduceEx, 3, a=1),
    "reduce": lambda: _with_attrs(Reduce, 3, a=1),
    "getnewargs": lambda: _with_attrs(NewArgs, 3, a=1),
    "getnewargs-ex": lambda: _with_attrs(NewArgsEx, 3, a=1),
    "getattr": lambda: _with_attrs(GetAttr, 3, a=1),
    "getattribute": lambda: _with_attrs(GetAttribute, 3, a=1),
    "class-property": lambda: _with_attrs(ClassProperty, 3, a=1),
    "dict-property": lambda: _with_attrs(DictProperty, 3),
    "meta-reduce-data": lambda: _with_attrs(WithMetaData, 3, a=1),
    "meta-reduce-plain": lambda: _with_attrs(WithMetaPlain, 3, a=1),
    "abc": lambda: _with_attrs(Abstract, 3, a=1),
    "own-overrides": _own_overrides,
    "shared-and-recursive": _shared_and_recursive,
    "nested": _nested,
    "list-dict-subclasses": lambda: [ListSub([1]), ListSub([2]), DictSub(a=1), DictSub(b=2)],
    "int-str-subclasses": lambda: [IntSub(1), IntSub(2), StrSub("a"), StrSub("b")],
    "exceptions": lambda: [Error("a"), Error("b"), Error("c")],
    "dataclass": lambda: [Data(1, [2]), Data(3, [4]), Data(5, [])],
    "copyreg": lambda: _with_attrs(FromCopyreg, 3, a=1),
    "bare-object": lambda: [object(), object(), object()],
    "builtin-with-dict": lambda: [types.SimpleNamespace(a=1), types.SimpleNamespace(b=2),
                                  types.SimpleNamespace()],
}


@pytest.mark.parametrize("by_value", [True, False], ids=["by_value", "plain"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_many_instances_match_pickle(case, proto, by_value):
    obj = CASES[case]()
    # Some cases (slots under protocols 0 and 1) raise: the same error then.
    assert_same_dumps_outcome(obj, proto, by_value=by_value)


class Mutator:
    """Reduced between instances of `target`: changes the class mid-dump."""

    def __init__(self, target, name, value):
        self.target, self.name, self.value = target, name, value

    def __reduce__(self):
        setattr(self.target, self.name, self.value)
        return (int, (0,))


def _fresh_class():
    # A new class per run: mutations must not leak into other tests.
    cls = type("Mutable", (Plain,), {"__module__": __name__})
    globals()["Mutable"] = cls
    return cls


@pytest.mark.parametrize("name, value", [
    ("__getstate__", lambda self: {"changed": True}),
    ("__reduce_ex__", lambda self, proto: (Plain, (), {"changed": proto})),
    ("__reduce__", lambda self: (Plain, (), {"changed": "reduce"})),
    ("__getnewargs__", lambda self: (7,)),
])
@pytest.mark.parametrize("where", ["class", "base"])
def test_class_changed_mid_dump(name, value, where, proto):
    cls = _fresh_class()
    target = cls if where == "class" else Plain
    objs = [cls(a=i) for i in range(3)]
    data = objs[:2] + [Mutator(target, name, value)] + objs[2:]
    try:
        expected = pickle.dumps(data, proto)
        _fresh_restore(target, name)
        actual = anethum.dumps(data, proto)
        assert_bytes_equal(expected, actual, "%s on %s" % (name, where))
    finally:
        _fresh_restore(target, name)


def _fresh_restore(target, name):
    if name in vars(target):
        delattr(target, name)


def test_persistent_id_sees_the_empty_args(proto):
    seen = []

    def persistent_id(self, obj):
        seen.append(type(obj).__name__)
        return None

    pair = pickler_pair(persistent_id=persistent_id)
    objs = _with_attrs(Plain, 3, a=1)
    expected_seen = None
    for cls in pair:
        seen.clear()
        out = io.BytesIO()
        cls(out, proto).dump(objs)
        if expected_seen is None:
            expected_seen = list(seen)
    assert seen == expected_seen
    assert_same_pickler_output(pair, objs, proto)


def test_dispatch_table_and_reducer_override_still_win(proto):
    objs = _with_attrs(Plain, 4, a=1)
    pair = pickler_pair(dispatch_table={Plain: lambda o: (Plain, (), {"table": 1})})
    assert_same_pickler_output(pair, objs, proto)
    pair = pickler_pair(reducer_override=lambda self, o: (
        (Plain, (), {"override": 1}) if type(o) is Plain and o.i == 2 else NotImplemented))
    assert_same_pickler_output(pair, objs, proto)


def test_fast_mode(proto):
    objs = _with_attrs(Plain, 4, a=[1])

    def fast(p):
        p.fast = True

    pair = pickler_pair()
    assert_same_pickler_output(pair, objs, proto, setup=fast)


def test_many_dumps_by_one_pickler(proto):
    pair = pickler_pair()
    outs = []
    for cls in pair:
        f = io.BytesIO()
        p = cls(f, proto)
        for i in range(3):
            p.dump(_with_attrs(Plain, 3, a=i))
        outs.append(f.getvalue())
    assert_bytes_equal(outs[0], outs[1])


def test_loads_back_equal():
    nested, shared = _nested(), _shared_and_recursive()
    loaded_nested, loaded_shared = pickle.loads(anethum.dumps((nested, shared)))
    assert loaded_nested[0].child.inner[0].items[2].k == 2
    assert loaded_nested[1].x is loaded_nested[0].child.inner
    a, b, c, c2, a_dict, b2, c_dict = loaded_shared
    assert a.self is a and b.other is a and c is c2 and b is b2
    assert a_dict == vars(a) and c_dict == vars(c)  # BUILD copies the state in


POOL = [Plain, Child, Multi, Empty, GetState, Reduce, SlotsAndDict, Abstract, Data]

attr_values = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@st.composite
def instances(draw):
    cls = draw(st.sampled_from(POOL))
    attrs = draw(st.dictionaries(st.sampled_from(["a", "b", "c", "__getstate__", "x_"]),
                                 attr_values, max_size=3))
    if cls is Data:
        return Data(draw(st.integers()), [])
    if cls is SlotsAndDict:
        obj = SlotsAndDict(draw(st.integers()))
    else:
        obj = cls.__new__(cls)
    if draw(st.booleans()) and "__getstate__" in attrs:
        attrs["__getstate__"] = dict
    else:
        attrs.pop("__getstate__", None)
    obj.__dict__.update(attrs)
    return obj


@given(st.lists(instances(), max_size=12), st.sampled_from(range(pickle.HIGHEST_PROTOCOL + 1)))
def test_hypothesis_mixed_instances(objs, protocol):
    assert_same_dumps_outcome(objs, protocol)


class SlotNamesAppender:
    """Reduced between slotted instances: grows the class's cached
    `__slotnames__` list in place (no version-tag change)."""

    def __init__(self, cls, name):
        self.cls, self.name = cls, name

    def __reduce__(self):
        self.cls.__slotnames__.append(self.name)
        return (int, (0,))


@pytest.mark.parametrize("name", ["a", "missing"])
def test_slotnames_changed_in_place_mid_dump(name, proto):
    if proto < 2:
        pytest.skip("slotted classes need protocol 2")
    cls = type("Slotted", (), {"__slots__": ("a", "b"), "__module__": __name__})
    globals()["Slotted"] = cls
    objs = []
    for i in range(3):
        obj = cls()
        obj.a, obj.b = i, -i
        objs.append(obj)
    outputs = []
    for dumps in (pickle.dumps, anethum.dumps):
        pickle.dumps(objs[0], proto)  # caches __slotnames__ on the class
        names = list(cls.__slotnames__)
        data = objs[:2] + [SlotNamesAppender(cls, name)] + objs[2:]
        try:
            outputs.append(dumps(data, proto))
        finally:
            cls.__slotnames__[:] = names
    assert_bytes_equal(outputs[0], outputs[1])
