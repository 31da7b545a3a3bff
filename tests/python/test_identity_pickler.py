"""Byte identity through Pickler objects, subclasses and their hooks."""
import collections
import io
import pickle

import pytest

import anethum
import objects
from helpers import (assert_bytes_equal, assert_same_outcome,
                     assert_same_pickler_output, dump_with, pickler_pair)


def graph():
    shared = [1, "two", 3.0]
    p = objects.Plain(shared=shared, me=None)
    p.me = p
    return {"shared": shared, "again": shared, "obj": p, "objs": [p, p],
            "pers": objects.Persistent("k1"), "point": objects.Point(1, 2),
            "sub": objects.MyList([shared]), "cls": objects.Plain,
            "fn": objects.module_function, "big": list(range(1500)),
            "text": "x" * 70000, "tuple": (shared, p)}


PLAIN = pickler_pair("Plain")


def test_pickler_dump_matches(proto):
    assert_same_pickler_output(PLAIN, graph(), proto)


def test_pickler_default_and_negative_protocol():
    for proto in (None, -1, -5):
        assert_same_pickler_output(PLAIN, graph(), proto)


def test_pickler_fix_imports_false(proto):
    assert_same_pickler_output(PLAIN, [range(3), collections.UserDict],
                               proto, fix_imports=False)


def test_pickler_attributes(proto):
    f = io.BytesIO()
    ours, theirs = anethum.Pickler(f, proto), pickle.Pickler(f, proto)
    assert ours.bin == theirs.bin
    assert ours.fast == theirs.fast
    ours.fast = theirs.fast = 1
    assert ours.fast == theirs.fast


class ChunkRecorder:
    def __init__(self):
        self.chunks = []

    def write(self, chunk):
        self.chunks.append(bytes(chunk))


def test_write_only_file(proto):
    results = []
    for cls in (pickle.Pickler, anethum.Pickler):
        rec = ChunkRecorder()
        cls(rec, proto).dump(graph())
        results.append(rec.chunks)
    assert_bytes_equal(b"".join(results[0]), b"".join(results[1]))


def test_write_call_sizes(proto):
    """The sequence of write() calls matches _pickle's (framing flushes)."""
    sizes = []
    for cls in (pickle.Pickler, anethum.Pickler):
        rec = ChunkRecorder()
        cls(rec, proto).dump([graph(), b"y" * 200000, "z" * 100])
        sizes.append([len(c) for c in rec.chunks])
    assert sizes[1] == sizes[0]


def persistent_id(self, obj):
    self.log.append(type(obj).__qualname__)
    if isinstance(obj, objects.Persistent):
        return obj.key
    if isinstance(obj, str) and obj == "two":
        return ("tuple-pid", 2)
    return None


def init_log(p):
    p.log = []


def test_persistent_id_subclass(proto):
    pair = pickler_pair("Pers", persistent_id=persistent_id)
    outcome = []
    for cls in pair:
        f = io.BytesIO()
        p = cls(f, proto)
        init_log(p)
        try:
            p.dump(graph())
            outcome.append((f.getvalue(), p.log))
        except pickle.PicklingError as exc:
            outcome.append((type(exc), p.log))
    assert outcome[0][1] == outcome[1][1]
    if isinstance(outcome[0][0], bytes):
        assert_bytes_equal(outcome[0][0], outcome[1][0])
    else:
        assert outcome[0][0] is outcome[1][0]


def test_persistent_id_str_pids(proto):
    pair = pickler_pair("StrPers", persistent_id=lambda self, obj: (
        "pid-" + obj.key if isinstance(obj, objects.Persistent) else None))
    assert_same_pickler_output(pair, graph(), proto)


def test_persistent_id_instance_attribute(proto):
    def pid(obj):
        return "P" if isinstance(obj, objects.Persistent) else None

    def setup(p):
        p.persistent_id = pid
    assert_same_pickler_output(PLAIN, graph(), proto, setup=setup)


def reducer_override(self, obj):
    self.log.append(type(obj).__qualname__)
    if isinstance(obj, objects.Point):
        return (objects.Point, (obj.x * 10, obj.y * 10))
    if obj is objects.module_function:
        return (getattr, (objects.Outer, "static"))
    if obj is objects.Plain:
        return "Plain"
    return NotImplemented


def test_reducer_override(proto):
    pair = pickler_pair("Override", reducer_override=reducer_override)
    out, logs = [], []
    for cls in pair:
        f = io.BytesIO()
        p = cls(f, proto)
        init_log(p)
        p.dump([graph(), 5, True, None, 1.5, "s", b"b", (), [], {}])
        out.append(f.getvalue())
        logs.append(p.log)
    assert_bytes_equal(out[0], out[1])
    assert logs[0] == logs[1]


DISPATCH = {objects.Point: objects.reduce_point,
            objects.Registered: lambda r: (objects.Reduce2, (r.x,)),
            list: lambda lst: (objects.Reduce2, ())}


def test_class_level_dispatch_table(proto):
    assert_same_pickler_output(pickler_pair("Table", dispatch_table=DISPATCH),
                               [graph(), objects.Registered(1)], proto)


def test_chainmap_dispatch_table(proto):
    table = collections.ChainMap(DISPATCH, pickle.dispatch_table)
    assert_same_pickler_output(pickler_pair("Chain", dispatch_table=table),
                               [graph(), objects.Registered(1)], proto)


def test_instance_dispatch_table(proto):
    def setup(p):
        p.dispatch_table = DISPATCH
    assert_same_pickler_output(PLAIN, [graph(), objects.Registered(1)], proto,
                               setup=setup)


def test_instance_dispatch_table_overrides_class_level(proto):
    pair = pickler_pair("Table", dispatch_table={})

    def setup(p):
        p.dispatch_table = DISPATCH
    assert_same_pickler_output(pair, [graph()], proto, setup=setup)


def fast_dump(cls, obj, proto):
    f = io.BytesIO()
    p = cls(f, proto)
    p.fast = True
    p.dump(obj)
    return f.getvalue()


def nested(depth):
    obj = []
    for _ in range(depth):
        obj = [obj, "s"]
    return obj


@pytest.mark.parametrize("obj", [
    [1, 2], [[1], [1]], {"a": (1, 2)}, nested(40), nested(60), nested(200)],
    ids=["flat", "repeated", "dict", "depth40", "depth60", "depth200"])
def test_fast_mode(obj, proto):
    expected = fast_dump(pickle.Pickler, obj, proto)
    assert_bytes_equal(expected, fast_dump(anethum.Pickler, obj, proto))


def test_fast_mode_shared_refs_duplicated(proto):
    leaf = objects.Plain(a=[1])
    obj = [leaf, leaf, (leaf,), leaf]
    assert_bytes_equal(fast_dump(pickle.Pickler, obj, proto),
                       fast_dump(anethum.Pickler, obj, proto))


@pytest.mark.parametrize("depth", [1, 49, 50, 51, 120])
def test_fast_mode_cycle(depth, proto):
    lst = nested(depth)
    inner = lst
    while inner:
        inner = inner[0]
    inner.append(lst)
    assert_same_outcome(lambda: fast_dump(pickle.Pickler, lst, proto),
                        lambda: fast_dump(anethum.Pickler, lst, proto))


def memo_summary(memo, graph):
    """index -> type for every entry, and the index of each named graph node."""
    by_index = {i: type(o).__qualname__ for i, o in memo.values()}
    named = {name: memo[id(node)][0] for name, node in graph.items()
             if id(node) in memo}
    return by_index, named


def dump_several(cls, g, proto, clear_between=False):
    f = io.BytesIO()
    p = cls(f, proto)
    p.dump(g)
    p.dump([g["again"], g["shared"], g["sub"]])
    if clear_between:
        p.clear_memo()
    p.dump([g["obj"], g])
    p.dump(g["tuple"])
    return f.getvalue(), memo_summary(p.memo.copy(), g)


@pytest.mark.parametrize("clear", [False, True], ids=["kept", "cleared"])
def test_reuse_pickler_keeps_memo(clear, proto):
    g = graph()
    exp, exp_memo = dump_several(pickle.Pickler, g, proto, clear)
    act, act_memo = dump_several(anethum.Pickler, g, proto, clear)
    assert_bytes_equal(exp, act)
    assert exp_memo == act_memo


def test_memo_copy_contents(proto):
    g = graph()
    memos = []
    for cls in (pickle.Pickler, anethum.Pickler):
        p = cls(io.BytesIO(), proto)
        p.dump(g)
        memos.append(memo_summary(p.memo.copy(), g))
    assert memos[0] == memos[1]


def test_memo_assignment_primes_output(proto):
    g = graph()
    out = []
    for cls in (pickle.Pickler, anethum.Pickler):
        first = cls(io.BytesIO(), proto)
        first.dump(g)
        f = io.BytesIO()
        second = cls(f, proto)
        second.memo = first.memo
        second.dump([g, g["shared"]])
        third_f = io.BytesIO()
        third = cls(third_f, proto)
        third.memo = first.memo.copy()
        third.dump(g["obj"])
        out.append(f.getvalue() + b"|" + third_f.getvalue())
    assert_bytes_equal(out[0], out[1])


def test_memo_clear_via_proxy(proto):
    out = []
    for cls in (pickle.Pickler, anethum.Pickler):
        f = io.BytesIO()
        p = cls(f, proto)
        g = graph()
        p.dump(g)
        p.memo.clear()
        p.dump(g)
        out.append(f.getvalue())
    assert_bytes_equal(out[0], out[1])


def test_dump_helper_matches_dumps(proto):
    f = io.BytesIO()
    anethum.dump(graph(), f, proto)
    assert_bytes_equal(pickle.dumps(graph(), proto), f.getvalue())
    assert_bytes_equal(dump_with(pickle.Pickler, graph(), proto),
                       anethum.dumps(graph(), proto))
