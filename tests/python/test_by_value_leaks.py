"""Pickling by value leaves refcounts unchanged and memory flat."""
import enum
import gc
import os
import sys

import pytest

import anethum


def make_graph():
    a, b = 1, [2]

    def closure(x):
        return x + a + b[0]

    def recursive(n):
        return 1 if n < 2 else n * recursive(n - 1)

    class Dynamic:
        factor = 3

        def method(self):
            return closure(self.factor)

    Color = enum.Enum("Color", "RED GREEN")
    # Several instances of one class: the later ones take the plain-instance
    # shortcut (save/plain_instance.rs), which reads each instance's dict.
    instances = [Dynamic() for _ in range(3)] + [Plain(i) for i in range(3)]
    for inst in instances[:2]:
        inst.extra = [inst]
    return [closure, recursive, Dynamic, Color.RED, lambda: b] + instances


class Plain:
    def __init__(self, i):
        self.i = i
        self.items = [i]


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_refcounts_unchanged():
    graph = make_graph()
    for protocol in range(2, 6):
        anethum.dumps(graph, protocol)
    gc.collect()
    watched = graph + [vars(obj) for obj in graph if isinstance(obj, Plain)] + [Plain]
    before = [sys.getrefcount(obj) for obj in watched]
    for _ in range(500):
        anethum.dumps(graph, 5)
    gc.collect()
    assert [sys.getrefcount(obj) for obj in watched] == before


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_rss_flat_over_many_dumps():
    graph = make_graph()
    for _ in range(2000):
        anethum.dumps(graph, 5)
    gc.collect()
    before = resident_bytes()
    for _ in range(20_000):
        anethum.dumps(graph, 5)
    gc.collect()
    assert resident_bytes() - before < 4 * 2**20


def test_fresh_classes_do_not_accumulate():
    """Many short-lived dynamic classes: the caches keyed by class or code
    object must not keep them alive."""
    import weakref

    refs = []
    for i in range(200):
        cls = type("Temp%d" % i, (), {"f": lambda self: i})
        anethum.dumps(cls, 5)
        refs.append(weakref.ref(cls))
        del cls
    gc.collect()
    assert sum(r() is not None for r in refs) <= 1
