"""Memory stays flat over many mixed dumps: plain data, by-value graphs,
Pickler subclasses with hooks, dumps to a file, and dumps that fail.

CI runs 30k dumps; the soak (``ANETHUM_SOAK_SECONDS``, scripts/soak.sh)
runs at least 1M and reports the figures.
"""
import enum
import gc
import io
import os
import sys
import time

import pytest

import anethum

sys.path.insert(0, os.path.dirname(__file__))
from soak_knob import soak_seconds, soaking  # noqa: E402

SHORT_DUMPS = 30_000
SOAK_DUMPS = 1_000_000
WARMUP = 3_000
#: Allowed growth after warm-up: allocator slack, not a leak's slope.
MAX_GROWTH = 8 * 2**20


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Unpicklable:
    def __reduce__(self):
        raise ValueError("no")


class Hooks(anethum.Pickler):
    def persistent_id(self, obj):
        return "pid" if obj == "persist me" else None

    def reducer_override(self, obj):
        return NotImplemented


def make_cases():
    box = [1]

    def closure(x):
        return x + box[0]

    class Dynamic:
        def method(self):
            return closure(1)

    Color = enum.Enum("Color", "RED GREEN")
    plain = {"a": [1, 2.5, "x" * 50, b"y" * 50], "b": {1, 2, 3}, "c": (None, True, 2**70)}
    graph = [closure, Dynamic, Dynamic(), Color.GREEN, lambda: box]

    def dumps_plain():
        anethum.dumps(plain, 5)

    def dumps_graph():
        anethum.dumps(graph, 5)

    def dumps_graph_p2():
        anethum.dumps(graph, 2)

    def pickler_hooks():
        Hooks(io.BytesIO(), 5).dump([plain, "persist me", graph])

    def dump_to_file():
        anethum.dump(graph, io.BytesIO(), 4)

    def failing():
        try:
            anethum.dumps([graph, Unpicklable()], 5)
        except ValueError:
            pass

    def fresh_class():
        anethum.dumps(type("Fresh", (), {"x": 1}), 5)

    return [dumps_plain, dumps_graph, dumps_graph_p2, pickler_hooks, dump_to_file, failing, fresh_class]


def run(n, deadline=None):
    cases = make_cases()
    for i in range(WARMUP):
        cases[i % len(cases)]()
    gc.collect()
    before = resident_bytes()
    done = 0
    while done < n or (deadline is not None and time.monotonic() < deadline):
        cases[done % len(cases)]()
        done += 1
        if done % 50_000 == 0:
            gc.collect()
    gc.collect()
    return done, before, resident_bytes()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_rss_flat_over_mixed_dumps():
    if soaking():
        n, deadline = SOAK_DUMPS, time.monotonic() + soak_seconds()
    else:
        n, deadline = SHORT_DUMPS, None
    done, before, after = run(n, deadline)
    print("rss soak: %d mixed dumps, RSS %.1f MiB -> %.1f MiB (%+.2f MiB)"
          % (done, before / 2**20, after / 2**20, (after - before) / 2**20))
    assert after - before < MAX_GROWTH, (done, before, after)
