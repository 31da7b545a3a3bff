"""Byte identity for containers, batching, framing, sharing and cycles."""
import collections

import pytest

import objects
from helpers import assert_same_dumps_outcome, assert_same_pickle

SIZES = [0, 1, 2, 3, 4, 5, 6, 999, 1000, 1001, 1999, 2000, 2001, 2500]


@pytest.mark.parametrize("n", SIZES)
def test_list(n, proto):
    assert_same_pickle(list(range(n)), proto)


@pytest.mark.parametrize("n", SIZES)
def test_tuple(n, proto):
    assert_same_pickle(tuple(range(n)), proto)


@pytest.mark.parametrize("n", SIZES)
def test_dict(n, proto):
    assert_same_pickle({i: str(i) for i in range(n)}, proto)


@pytest.mark.parametrize("n", SIZES)
def test_set(n, proto):
    assert_same_pickle(set(range(n)), proto)


@pytest.mark.parametrize("n", SIZES)
def test_frozenset(n, proto):
    assert_same_pickle(frozenset(range(n)), proto)


@pytest.mark.parametrize("kind", [list, tuple, set, frozenset])
def test_large_frames(kind, proto):
    assert_same_pickle(kind("item%d" % i for i in range(30000)), proto)


def test_large_dict_of_strings(proto):
    assert_same_pickle({"k%d" % i: "v" * (i % 50) for i in range(20000)},
                       proto)


def test_nested_tuples(proto):
    t = ()
    for i in range(6):
        t = (t,) * i + (i,)
    assert_same_pickle(t, proto)


def test_mixed_nesting(proto):
    obj = {"a": [1, (2, 3), {4, 5}], "b": frozenset({(6,), "7"}),
           (8, 9): {"x": [], "y": {}}, None: [[[[]]]], 1.5: ((),)}
    assert_same_pickle(obj, proto)


def test_shared_references(proto):
    leaf = [1, 2]
    t = ("t", leaf)
    d = {"leaf": leaf}
    s = frozenset({1, 2})
    assert_same_pickle([leaf, leaf, t, t, d, d, s, s, (t, s)], proto)


def test_shared_empty_tuple(proto):
    e = ()
    assert_same_pickle([e, e, (e, e), ((),)], proto)


def test_list_containing_itself(proto):
    lst = [1]
    lst.append(lst)
    assert_same_pickle(lst, proto)


def test_dict_containing_itself(proto):
    d = {"a": 1}
    d["self"] = d
    assert_same_pickle(d, proto)


def test_tuple_cycle_through_list(proto):
    lst = []
    t = (lst, 1)
    lst.append(t)
    assert_same_pickle(t, proto)
    assert_same_pickle(lst, proto)
    assert_same_pickle([t, lst], proto)


def test_tuple_cycle_deep(proto):
    lst = []
    t = ((((lst,),),), 2, 3, 4)
    lst.append(t)
    assert_same_pickle(t, proto)


def test_tuple_cycle_large_tuple(proto):
    lst = []
    t = tuple([lst] * 10)
    lst.append(t)
    assert_same_pickle(t, proto)


def test_frozenset_cycle_through_object(proto):
    node = objects.Node()
    fs = frozenset([node, 1])
    node.ref = fs
    assert_same_dumps_outcome(fs, proto)


def test_set_cycle_through_object(proto):
    node = objects.Node()
    s = {node}
    node.ref = s
    assert_same_pickle(s, proto)


def test_mutual_cycle(proto):
    a, b = [], {}
    a.append(b)
    b["a"] = a
    assert_same_pickle([a, b], proto)


BUILTIN_SUBCLASSES = [
    objects.MyList([1, 2, 3]), objects.MyDict(a=1), objects.MyInt(7),
    objects.MyFloat(2.5), objects.MyStr("s"), objects.MyBytes(b"b"),
    objects.MyTuple((1, 2)), objects.MySet({1}), objects.MyFrozenSet({2}),
    objects.SlottedInt(5),
]


@pytest.mark.parametrize("obj", BUILTIN_SUBCLASSES,
                         ids=lambda o: type(o).__name__)
def test_builtin_subclass(obj, proto):
    assert_same_pickle(obj, proto)


@pytest.mark.parametrize("obj", [o for o in BUILTIN_SUBCLASSES
                                 if hasattr(o, "__dict__")],
                         ids=lambda o: type(o).__name__)
def test_builtin_subclass_with_state(obj, proto):
    obj = type(obj)(obj)
    obj.attr = [1, "two"]
    obj.other = obj
    assert_same_pickle(obj, proto)


def test_slotted_list_subclass(proto):
    lst = objects.SlottedList([1, 2])
    lst.extra = "x"
    assert_same_dumps_outcome(lst, proto)


def test_large_list_subclass(proto):
    assert_same_pickle(objects.MyList(range(2500)), proto)
    assert_same_pickle(objects.MyDict((i, i) for i in range(2500)), proto)


STDLIB_CONTAINERS = [
    collections.OrderedDict([(1, 2), (3, 4)]),
    collections.defaultdict(list, {1: [2]}),
    collections.deque([1, 2, 3], maxlen=5),
    collections.Counter("abracadabra"),
    collections.ChainMap({1: 2}, {3: 4}),
    objects.Pair(1, objects.Pair(2, 3)),
    range(0, 10, 3), slice(1, None, 2),
    collections.OrderedDict((i, i) for i in range(2500)),
]


@pytest.mark.parametrize("obj", STDLIB_CONTAINERS,
                         ids=lambda o: type(o).__name__)
def test_stdlib_container(obj, proto):
    assert_same_pickle(obj, proto)


def test_dict_key_order_preserved(proto):
    d = {}
    for k in [5, "b", 3, "a", 1, None, (1,)]:
        d[k] = k
    assert_same_pickle(d, proto)
