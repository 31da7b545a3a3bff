"""anethum pickles by value classes, enums and type variables made at run
time; a class loaded twice in one process is the same class object."""
import abc
import collections
import dataclasses
import enum
import os
import sys
import typing
import weakref

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import (  # noqa: E402
    PROTOCOLS, anethum_only, dumps, globals_in_pickle, roundtrip,
    roundtrip_in_subprocess)


def make_class():
    class Base:
        kind = "base"

        def hello(self):
            return "hello from " + type(self).__name__

    class C(Base):
        """Doc of C."""
        counter = 0

        def __init__(self, x):
            self.x = x

        def double(self):
            return self.x * 2

        @classmethod
        def create(cls, x):
            return cls(x)

        @staticmethod
        def static(a, b):
            return a + b

        @property
        def prop(self):
            return self.x + 100

        @prop.setter
        def prop(self, value):
            self.x = value - 100

        def __repr__(self):
            return "C(%r)" % (self.x,)

        def __eq__(self, other):
            return type(other) is type(self) and other.x == self.x

        __hash__ = None
    return C


def test_class_methods_and_descriptors(protocol):
    C = roundtrip(make_class(), protocol)
    c = C(4)
    assert c.double() == 8 and c.hello() == "hello from C"
    assert C.create(3).x == 3 and isinstance(C.create(3), C)
    assert C.static(1, 2) == 3 and c.static(2, 2) == 4
    assert c.prop == 104
    c.prop = 110
    assert c.x == 10
    assert C.__doc__ == "Doc of C." and C.kind == "base" and C.__name__ == "C"
    assert C.__qualname__ == "make_class.<locals>.C"
    assert C.__module__ == __name__
    assert repr(c) == "C(10)" and C.__hash__ is None
    assert isinstance(C.__dict__["create"], classmethod)
    assert isinstance(C.__dict__["static"], staticmethod)
    assert isinstance(C.__dict__["prop"], property)


def test_instance_and_class_together(protocol):
    C = make_class()
    C2, c2, d2 = roundtrip((C, C(5), C(6)), protocol)
    assert isinstance(c2, C2) and type(d2) is C2
    assert c2.x == 5 and d2.double() == 12


def test_class_identity_in_process(protocol):
    C = make_class()
    once = roundtrip(C, protocol)
    assert roundtrip(C, protocol) is once
    assert once is C  # tracked at pickling time
    inst = roundtrip(C(1), protocol)
    assert type(inst) is once and isinstance(inst, C)


def test_class_identity_in_subprocess_and_back():
    C = make_class()
    two = (dumps(C), dumps(C(7)), dumps([C, C(8)], 2))
    back = roundtrip_in_subprocess(two, """
        A = pickle.loads(obj[0])
        a = pickle.loads(obj[1])
        B, b = pickle.loads(obj[2])
        assert type(a) is A and B is A and type(b) is A
        assert a.double() == 14 and A.static(1, 1) == 2
        result = (A, a, b)
    """)
    A, a, b = back
    assert A is C  # sent away and back: the same class
    assert type(a) is C and a.x == 7 and b.x == 8


def test_bound_method_of_dynamic_instance(protocol):
    C = make_class()
    m = roundtrip(C(21).double, protocol)
    assert m() == 42
    assert type(m.__self__) is C


def test_slots(protocol):
    def make():
        class S:
            __slots__ = ("a", "b")

            def __init__(self, a, b):
                self.a, self.b = a, b

            def total(self):
                return self.a + self.b

        class S1:
            __slots__ = "only"
        return S, S1
    S, S1 = make()
    S2, s2, S12 = roundtrip((S, S(1, 2), S1), protocol)
    assert s2.total() == 3 and S2.__slots__ == ("a", "b")
    assert not hasattr(s2, "__dict__")
    with pytest.raises(AttributeError):
        s2.c = 1
    o = S12()
    o.only = 5
    assert o.only == 5


def make_meta_class():
    class Meta(type):
        def __new__(mcs, name, bases, ns):
            cls = super().__new__(mcs, name, bases, ns)
            cls.made_by_meta = True
            return cls

        def describe(cls):
            return "class " + cls.__name__

    class WithMeta(metaclass=Meta):
        value = 3
    return WithMeta


def test_metaclass(protocol):
    W = roundtrip(make_meta_class(), protocol)
    assert type(W).__name__ == "Meta"
    assert W.describe() == "class WithMeta" and W.made_by_meta and W.value == 3


def test_init_subclass(protocol):
    def make():
        class Plugin:
            registry = []

            def __init_subclass__(cls, tag="none", **kw):
                super().__init_subclass__(**kw)
                cls.tag = tag
                Plugin.registry.append(cls.__name__)

        class Child(Plugin, tag="child"):
            pass
        return Plugin, Child
    Plugin, Child = roundtrip(make(), protocol)
    assert Child.tag == "child" and issubclass(Child, Plugin)

    class Grand(Child, tag="grand"):
        pass
    assert Grand.tag == "grand" and "Grand" in Plugin.registry


def test_abc_with_registered_subclass(protocol):
    def make():
        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self):
                ...

        class Square(Shape):
            def __init__(self, s):
                self.s = s

            def area(self):
                return self.s ** 2

        class Duck:
            def area(self):
                return 0
        Shape.register(Duck)
        return Shape, Square, Duck
    Shape, Square, Duck = roundtrip(make(), protocol)
    with pytest.raises(TypeError):
        Shape()
    assert Square(3).area() == 9
    assert issubclass(Duck, Shape) and isinstance(Duck(), Shape)
    assert isinstance(Square(1), Shape)
    assert not issubclass(int, Shape)


def test_dataclass(protocol):
    def make():
        @dataclasses.dataclass(order=True)
        class Point:
            x: int
            y: int = 0
            tags: list = dataclasses.field(default_factory=list, compare=False)
            total: typing.ClassVar[int] = 0
            init_only: dataclasses.InitVar[int] = 1

            def __post_init__(self, init_only):
                self.scaled = self.x * init_only
        return Point
    P = make()
    P2, p2 = roundtrip((P, P(1, 2, init_only=3)), protocol)
    assert [f.name for f in dataclasses.fields(P2)] == ["x", "y", "tags"]
    assert p2 == P2(1, 2) and p2.scaled == 3 and p2.tags == []
    assert P2(5).tags is not P2(5).tags
    assert P2(1) < P2(2)
    assert repr(P2(1, 2)).endswith("make.<locals>.Point(x=1, y=2, tags=[])")
    assert dataclasses.asdict(P2(1, 2)) == {"x": 1, "y": 2, "tags": []}
    fields = P2.__dataclass_fields__
    assert fields["total"]._field_type is dataclasses._FIELD_CLASSVAR
    assert fields["init_only"]._field_type is dataclasses._FIELD_INITVAR
    assert fields["x"]._field_type is dataclasses._FIELD


def test_namedtuple(protocol):
    def make():
        return collections.namedtuple("Pair", "left right", defaults=(0,))
    Pair = make()
    Pair2, p = roundtrip((Pair, Pair(1, 2)), protocol)
    assert Pair2._fields == ("left", "right") and type(p) is Pair2
    assert p.left == 1 and p.right == 2 and Pair2(5).right == 0
    assert p._asdict() == {"left": 1, "right": 2}
    assert roundtrip(Pair(3, 4), protocol) == (3, 4)


def test_typing_namedtuple(protocol):
    def make():
        class Emp(typing.NamedTuple):
            name: str
            id: int = 3

            def tag(self):
                return "%s-%d" % (self.name, self.id)
        return Emp
    E = make()
    E2, e = roundtrip((E, E("bob")), protocol)
    assert e.tag() == "bob-3" and type(e) is E2
    assert E2.__annotations__ == {"name": str, "id": int}
    assert E2._fields == ("name", "id")


@pytest.mark.parametrize("kind", ["Enum", "IntEnum", "Flag", "IntFlag"])
def test_enum_members_keep_identity(protocol, kind):
    base = getattr(enum, kind)

    def make():
        class A(base):
            x = 1
            y = 2

            def label(self):
                return "<%s>" % self.name
        return A
    A = make()
    A2, x2, y2 = roundtrip((A, A.x, A.y), protocol)
    assert A2.x is A2(1) and x2 is A2.x and y2 is A2(2)
    assert A2["y"] is y2 and x2.label() == "<x>"
    assert [m.name for m in A2] == ["x", "y"]
    assert issubclass(A2, base)
    if kind in ("Flag", "IntFlag"):
        assert (A2.x | A2.y).value == 3
    # member alone, then class: same objects
    assert roundtrip(A.x, protocol) is roundtrip(A, protocol).x


def test_enum_in_subprocess():
    def make():
        class Color(enum.Enum):
            RED = 1
            GREEN = 2
        return Color
    Color = make()
    back = roundtrip_in_subprocess((Color, Color.GREEN, [Color.RED]), """
        C, g, (r,) = obj
        assert g is C.GREEN is C(2) and r is C.RED
        result = (C, g)
    """)
    assert back[0] is Color and back[1] is Color.GREEN


def test_generic_class_and_typevar(protocol):
    def make():
        T = typing.TypeVar("T")
        K = typing.TypeVar("K", int, str)
        B = typing.TypeVar("B", bound=int, covariant=True)

        class Box(typing.Generic[T]):
            def __init__(self, item: T):
                self.item = item

            def get(self) -> T:
                return self.item

        class IntBox(Box[int]):
            pass
        return T, K, B, Box, IntBox
    T, K, B, Box, IntBox = roundtrip(make(), protocol)
    assert isinstance(T, typing.TypeVar) and T.__name__ == "T"
    assert K.__constraints__ == (int, str)
    assert B.__bound__ is int and B.__covariant__
    assert Box.__parameters__ == (T,)
    assert Box.__orig_bases__ == (typing.Generic[T],)
    assert IntBox.__orig_bases__ == (Box[int],)
    assert Box[int](3).get() == 3 and IntBox(4).get() == 4
    assert issubclass(IntBox, Box)


def test_typevar_identity(protocol):
    def make():
        return typing.TypeVar("V")
    V = make()
    assert roundtrip(V, protocol) is roundtrip(V, protocol)
    assert roundtrip(typing.AnyStr, protocol) is typing.AnyStr


@anethum_only  # cloudpickle 3.1.2 pickles ParamSpec by reference only
@pytest.mark.skipif(not hasattr(typing, "ParamSpec"), reason="ParamSpec is 3.10+")
def test_paramspec(protocol):
    def make():
        P = typing.ParamSpec("P")

        class Wrap(typing.Generic[P]):
            pass
        return P, Wrap
    P, Wrap = make()
    P2, Wrap2 = roundtrip((P, Wrap), protocol)
    assert isinstance(P2, typing.ParamSpec) and P2.__name__ == "P"
    assert Wrap2.__parameters__ == (P2,)


def test_class_in_weakset(protocol):
    def make():
        class Item:
            def __init__(self, v):
                self.v = v
        return Item
    Item = make()
    items = [Item(1), Item(2)]
    got, ws = roundtrip((items, weakref.WeakSet(items)), protocol)
    assert isinstance(ws, weakref.WeakSet) and len(ws) == 2
    assert all(any(x is y for y in got) for x in ws)
    assert sorted(x.v for x in ws) == [1, 2] and type(got[0]) is Item


def test_slots_in_subprocess():
    """Loaded where the class is unknown (no tracker hit), a slotted class
    is made with its slots: member descriptors, no instance __dict__."""
    def make():
        class S:
            __slots__ = ("a", "b")

            def __init__(self, a, b):
                self.a, self.b = a, b

        class Open:
            __slots__ = ("x", "__dict__")
        return S, S(1, 2), Open
    roundtrip_in_subprocess(make(), """
        import types
        S, s, Open = obj
        assert isinstance(S.__dict__["a"], types.MemberDescriptorType)
        assert not hasattr(s, "__dict__") and (s.a, s.b) == (1, 2)
        try:
            s.c = 3
        except AttributeError:
            pass
        else:
            raise AssertionError("a slotted instance took a new attribute")
        o = Open()
        o.x, o.y = 1, 2
        assert isinstance(Open.__dict__["x"], types.MemberDescriptorType) and o.__dict__ == {"y": 2}
    """)


def test_classes_in_subprocess():
    def make():
        @dataclasses.dataclass
        class D:
            a: int
            b: typing.ClassVar[int] = 5

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self):
                ...

        class Sq:
            def area(self):
                return 1
        Shape.register(Sq)
        return D, Shape, Sq, make_class(), make_meta_class()
    roundtrip_in_subprocess(make(), """
        import dataclasses
        D, Shape, Sq, C, W = obj
        assert [f.name for f in dataclasses.fields(D)] == ["a"] and D(1).a == 1
        assert isinstance(Sq(), Shape)
        c = C.create(3)
        assert c.prop == 103 and C.static(1, 2) == 3 and c.hello() == "hello from C"
        assert W.made_by_meta and W.describe() == "class WithMeta"
    """)


def test_deterministic_class(protocol):
    C = make_class()
    assert dumps(C, protocol) == dumps(C, protocol)


@anethum_only
def test_class_pickle_names_anethum_loaders(protocol):
    found = globals_in_pickle(dumps(make_class(), protocol))
    assert ("anethum.loaders", "make_skeleton_class") in found
    assert ("anethum.loaders", "class_setstate") in found
    assert all(not m.startswith("cloudpickle") for m, _ in found)


@anethum_only
def test_enum_pickle_names_anethum_loaders(protocol):
    def make():
        class E(enum.Enum):
            A = 1
        return E
    found = globals_in_pickle(dumps(make(), protocol))
    assert ("anethum.loaders", "make_skeleton_enum") in found
