"""Pickling leaves refcounts unchanged and memory flat, errors included."""
import gc
import io
import os
import sys

import pytest

import anethum
import bad_objects as bad
import objects
from helpers import PROTOCOLS


def mid_graph():
    shared = ["shared", 2**70, 1.5, b"bytes", bytearray(b"ba")]
    p = objects.Plain(items=shared, me=None)
    p.me = p
    cyc = [shared]
    cyc.append(cyc)
    return {"shared": shared, "obj": p, "cycle": cyc, "tuple": (shared, p),
            "set": {1, "two", (3,)}, "frozen": frozenset({"a", 4}),
            "ints": list(range(300)), "strs": ["s%d" % i for i in range(50)],
            "sub": objects.MyList([objects.MyDict(a=shared)]),
            "reduce": objects.ReduceItems([shared], [("k", p)]),
            "newargs": objects.GetNewArgsEx(1, k=shared),
            "slots": objects.SlotsWithGetstate(shared),
            "setter": objects.StateSetter({"a": shared}),
            "cls": objects.Plain, "fn": objects.module_function,
            "none_type": type(None), "text": "é" * 300}


def reachable(root):
    seen, stack = {}, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        if hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.append(vars(obj))
    return list(seen.values())


def owned(obj):
    """Not a process-wide shared singleton whose count others may move."""
    if obj is None or isinstance(obj, (bool, type)) or callable(obj):
        return False
    if type(obj) is int and -5 <= obj <= 256:
        return False
    if sys.getrefcount(obj) > 10 ** 8:
        return False
    return not (type(obj) is str and sys.intern(obj) is obj)


def refcounts(objs):
    gc.collect()
    return [sys.getrefcount(o) for o in objs]


def assert_refcounts_stable(root, action, rounds=50):
    objs = [o for o in reachable(root) if owned(o)]
    action()
    before = refcounts(objs)
    for _ in range(rounds):
        action()
    after = refcounts(objs)
    changed = [(type(o).__name__, b, a)
               for o, b, a in zip(objs, before, after) if a != b]
    assert not changed, changed


def test_dumps_refcounts():
    g = mid_graph()
    assert_refcounts_stable(
        g, lambda: [anethum.dumps(g, p) for p in PROTOCOLS])


def test_pickler_with_hooks_refcounts():
    class Hooked(anethum.Pickler):
        dispatch_table = {objects.Point: objects.reduce_point}

        def persistent_id(self, obj):
            return "pid" if obj == "shared" else None

        def reducer_override(self, obj):
            return NotImplemented

    g = mid_graph()
    g["point"] = objects.Point(1, 2)

    def action():
        for p in PROTOCOLS:
            pickler = Hooked(io.BytesIO(), p)
            pickler.dump(g)
            pickler.dump(g)
            pickler.memo.copy()
            pickler.clear_memo()
    assert_refcounts_stable(g, action)


def test_out_of_band_refcounts():
    data = bytearray(b"x" * 1000)
    pbs = [anethum.PickleBuffer(data), anethum.PickleBuffer(b"ro" * 100)]

    def action():
        anethum.dumps(pbs, 5, buffer_callback=[].append)
        anethum.dumps(pbs, 5)
    assert_refcounts_stable(pbs + [data], action)


def failing_dumps(obj, exc_type=Exception):
    for p in PROTOCOLS:
        try:
            anethum.dumps(obj, p)
        except exc_type:
            pass


@pytest.mark.parametrize("culprit", [
    bad.RaisingReduce(), bad.RaisingReduceEx(), bad.RaisingGetstate(),
    bad.BadReduce((objects.Reduce2, [1])), bad.BadReduce(42),
    objects.Slots(1, 2), iter([1]).__class__,
], ids=["reduce", "reduce_ex", "getstate", "bad-args", "bad-result",
        "slots", "local-ish-type"])
def test_error_path_refcounts(culprit):
    g = mid_graph()
    g["ints"].insert(150, culprit)
    g["tuple"] = (g["shared"], culprit, g["obj"])
    assert_refcounts_stable(g, lambda: failing_dumps(g))


def test_persistent_id_raising_refcounts():
    class Raising(anethum.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, objects.Persistent):
                raise bad.CustomError("pid")
            return None

    g = mid_graph()
    g["ints"].append(objects.Persistent("k"))

    def action():
        for p in PROTOCOLS:
            try:
                Raising(io.BytesIO(), p).dump(g)
            except bad.CustomError:
                pass
    assert_refcounts_stable(g, action)


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="needs /proc")
def test_rss_flat_over_many_dumps():
    g = mid_graph()
    del g["ints"][50:]
    for p in PROTOCOLS:
        anethum.dumps(g, p)
    for _ in range(2000):
        anethum.dumps(g, 5)
    gc.collect()
    before = resident_bytes()
    for i in range(100_000):
        anethum.dumps(g, i % 6)
    gc.collect()
    growth = resident_bytes() - before
    assert growth < 4 * 1024 * 1024, "RSS grew by %d bytes" % growth
