"""Importable classes and functions for the identity tests."""
import collections
import copyreg
import functools
import pickle


class Plain:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = object.__hash__


class Node:
    """Hashable by identity; holds arbitrary references (for cycles)."""

    def __init__(self, ref=None):
        self.ref = ref


class Empty:
    pass


class MyList(list):
    pass


class MyDict(dict):
    pass


class MyInt(int):
    pass


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyBytes(bytes):
    pass


class MyTuple(tuple):
    pass


class MySet(set):
    pass


class MyFrozenSet(frozenset):
    pass


class SlottedList(list):
    __slots__ = ("extra",)


class SlottedInt(int):
    __slots__ = ()


class Slots:
    __slots__ = ("a", "b")

    def __init__(self, a=None, b=None):
        self.a = a
        if b is not None:
            self.b = b


class SlotsAndDict(Slots):
    def __init__(self, a=None, b=None, c=None):
        super().__init__(a, b)
        self.c = c


class SlotsWithGetstate(Slots):
    def __getstate__(self):
        return {"a": self.a}

    def __setstate__(self, state):
        self.a = state["a"]


class GetState:
    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        return ("state", self.value)

    def __setstate__(self, state):
        self.value = state[1]


class FalsyState:
    def __getstate__(self):
        return {}


class NoneState:
    def __getstate__(self):
        return None


class GetNewArgs(int):
    def __new__(cls, value, label):
        self = super().__new__(cls, value)
        self.label = label
        return self

    def __getnewargs__(self):
        return (int(self), self.label)


class GetNewArgsEx:
    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self.args, self.kwargs = args, kwargs
        return self

    def __getnewargs_ex__(self):
        return self.args, self.kwargs


class Reduce2:
    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return (Reduce2, self.args)


class Reduce3:
    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return (Reduce3, (None,), self.state)


class ReduceItems:
    def __init__(self, items, pairs):
        self.items, self.pairs = items, pairs

    def __reduce__(self):
        return (ReduceItems, ((), {}), None,
                iter(self.items), iter(self.pairs))


class ItemsList(list):
    def __reduce__(self):
        return (ItemsList, (), None, iter(self), None)


class ItemsDict(dict):
    def __reduce__(self):
        return (ItemsDict, (), None, None, iter(self.items()))


def set_state(obj, state):
    obj.__dict__.update(state)


class StateSetter:
    def __init__(self, state, setter=set_state):
        self.state, self.setter = state, setter

    def __reduce__(self):
        return (StateSetter, ({}, None), self.state, None, None, self.setter)


class ReduceEx:
    def __init__(self, value):
        self.value = value

    def __reduce_ex__(self, protocol):
        return (ReduceEx, (self.value, protocol))


class ReduceExOverridesReduce:
    def __reduce__(self):
        raise AssertionError("__reduce_ex__ should win")

    def __reduce_ex__(self, protocol):
        return (ReduceExOverridesReduce, ())


SINGLETON = None


class GlobalName:
    def __reduce__(self):
        return "SINGLETON"


SINGLETON = GlobalName()


class NestedGlobalName:
    def __reduce__(self):
        return "Outer.Inner"


class NewObj:
    def __init__(self, value=None):
        self.value = value

    def __reduce__(self):
        return (copyreg.__newobj__, (NewObj,), vars(self))


class NewObjEx:
    def __reduce__(self):
        return (copyreg.__newobj_ex__, (NewObjEx, (1, 2), {"k": 3}), None)


class Outer:
    class Inner:
        class Deepest:
            pass

        def method(self):
            pass

    @staticmethod
    def static():
        pass

    @classmethod
    def klass(cls):
        pass


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class Registered:
    def __init__(self, x):
        self.x = x


def reduce_registered(obj):
    return (Registered, (obj.x,))


copyreg.pickle(Registered, reduce_registered)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def reduce_point(p):
    return (Point, (p.y, p.x))


class Persistent:
    def __init__(self, key):
        self.key = key


class ZeroCopyBytes(bytes):
    def __reduce_ex__(self, protocol):
        if protocol >= 5:
            return type(self)._reconstruct, (pickle.PickleBuffer(self),), None
        return type(self)._reconstruct, (bytes(self),)

    @classmethod
    def _reconstruct(cls, obj):
        return cls(obj)


class ZeroCopyBytearray(bytearray):
    def __reduce_ex__(self, protocol):
        if protocol >= 5:
            return type(self)._reconstruct, (pickle.PickleBuffer(self),), None
        return type(self)._reconstruct, (bytes(self),)

    @classmethod
    def _reconstruct(cls, obj):
        return cls(obj)


Pair = collections.namedtuple("Pair", "left right")


def module_function(x):
    return x


def orphan_function():
    pass


orphan_function.__module__ = None

partial_obj = functools.partial(module_function, 1)
