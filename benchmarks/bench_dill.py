#!/usr/bin/env python3
"""dill at C speed: anethum.dill vs dill, side by side in one process.

The workloads:
- every plain-data workload of bench_dumps.py and every by-value workload of
  bench_by_value.py, through ``dill.dumps`` and ``anethum.dill.dumps``;
- ``dump_module`` of a session module with 200 functions, 20 classes and
  10 MB of data;
- a ``datasets``-style Hasher: a Pickler subclass with an extended
  ``dispatch``, Python ``save``/``_batch_setitems``/``memoize`` overrides,
  hashing nested data (there the user's Python methods run for every
  object, for both picklers).

Each pickler's output is loaded back with ``pickle.loads`` (the session with
its own ``load_module``) and checked. Timing: interleaved repeats, GC off,
medians (bench_by_value.time_interleaved). Ratios are dill ÷ anethum.dill
(how many times faster anethum is). Goal: >= 30x on every workload, >= 50x
on the median.

    python benchmarks/bench_dill.py            # full run, a few minutes
    python benchmarks/bench_dill.py --quick    # smoke run
    python benchmarks/bench_dill.py --markdown # the table for RESULTS.md

Needs ``pip install dill`` (0.4.1) in the same interpreter. Exit status 1 if
anethum.dill fails a workload; missed speed goals don't change it.
"""

import argparse
import datetime
import hashlib
import io
import os
import pickle
import platform
import statistics
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_by_value import time_interleaved  # noqa: E402
from bench_dumps import cpu_model, fmt_ns  # noqa: E402
import workloads as plain_workloads  # noqa: E402
from by_value import workloads as by_value_workloads  # noqa: E402

GOAL_EACH = 30
GOAL_MEDIAN = 50
QUICK_SCALE = 0.01


# -- the session workload ----------------------------------------------------

def session_source(functions=200, classes=20):
    lines = ["import math", "SCALE = 3"]
    for i in range(functions):
        lines += [f"def f{i}(x):", f"    return math.floor(x * SCALE) + {i}"]
    for i in range(classes):
        lines += [f"class C{i}:", f"    k = {i}", "    def m(self, x):", f"        return x + self.k + f{i}(1)"]
    return "\n".join(lines) + "\n"


def make_session(scale):
    # Importable by name (in sys.modules), as dill's load_module wants it.
    module = types.ModuleType("bench_session")
    sys.modules[module.__name__] = module
    exec(compile(session_source(), "<bench_session>", "exec"), module.__dict__)
    module.data = bytes(range(256)) * max(1, int(10 * 1024 * 1024 * scale) // 256)
    module.table = {i: [i, str(i)] for i in range(max(1, int(10_000 * scale)))}
    return module


def check_session(module, loaded):
    return (loaded.f7(2) == module.f7(2) and loaded.C3().m(1) == module.C3().m(1)
            and loaded.data == module.data and loaded.table == module.table)


def session_runner(mod, module):
    def run():
        buffer = io.BytesIO()
        mod.dump_module(buffer, module=module)
        return buffer.getvalue()
    return run


def session_load(mod, blob, name):
    # Load into a fresh module of the same name, never into the original.
    return mod.load_module(io.BytesIO(blob), module=name)


# -- the datasets-style Hasher -----------------------------------------------

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def make_hasher(mod):
    class MetaCatchingDict(dict):
        def get(self, key, default=None):
            try:
                return self[key]
            except KeyError:
                return default

        def __missing__(self, key):
            if issubclass(key, type):
                return mod.Pickler.dispatch.get(type)
            raise KeyError(key)

    class Pickler(mod.Pickler):
        dispatch = MetaCatchingDict(mod.Pickler.dispatch.copy())

        def save(self, obj, save_persistent_id=True):
            mod.Pickler.save(self, obj, save_persistent_id=save_persistent_id)

        def _batch_setitems(self, items, *args, **kwargs):
            try:
                items = sorted(items)
            except TypeError:
                pass
            return super()._batch_setitems(items, *args, **kwargs)

        def memoize(self, obj):
            if type(obj) is not str:
                mod.Pickler.memoize(self, obj)

    def save_point(pickler, obj):
        pickler.save_reduce(Point, (obj.x, obj.y), obj=obj)
    Pickler.dispatch[Point] = save_point

    def hash_of(value):
        buffer = io.BytesIO()
        Pickler(buffer, recurse=True).dump(value)
        return hashlib.sha256(buffer.getvalue()).hexdigest(), buffer.getvalue()
    return hash_of


def hasher_data(scale):
    n = max(1, int(2_000 * scale))
    return {"rows": [{"id": i, "name": f"row{i}", "point": Point(i, -i), "tags": [i % 3, "t"]} for i in range(n)],
            "meta": {"version": 2, "split": "train"}}


# -- running ------------------------------------------------------------------

class Row:
    def __init__(self, name, kind):
        self.name, self.kind = name, kind
        self.times = {}
        self.ok = {}
        self.errors = {}
        self.ratio = None


def run_workload(row, runs, checks, args):
    for name, check in checks.items():
        try:
            row.ok[name] = bool(check())
        except Exception as e:  # noqa: BLE001 - reported, not raised
            row.ok[name] = False
            row.errors[name] = "%s: %s" % (type(e).__name__, str(e)[:70])
    timed = {n: r for n, r in runs.items() if row.ok.get(n)}
    if not timed:
        return row
    medians, samples, _ = time_interleaved(timed, args.repeats, args.budget)
    row.times = medians
    if len(timed) == 2:
        row.ratio = statistics.median(d / a for d, a in zip(samples["dill"], samples["anethum.dill"]))
    return row


def bench(args):
    import dill
    import anethum.dill as adill
    picklers = {"dill": dill, "anethum.dill": adill}
    scale = QUICK_SCALE if args.quick else 1.0
    rows = []
    for wl in plain_workloads.WORKLOADS:
        if wl.out_of_band or any(_missing(m) for m in wl.needs):
            continue
        obj = wl.build(scale)
        row = Row(wl.name, "plain data")
        runs = {n: (lambda m=m: m.dumps(obj, protocol=5)) for n, m in picklers.items()}
        checks = {n: (lambda m=m: pickle.loads(m.dumps(obj, protocol=5)) is not None) for n, m in picklers.items()}
        rows.append(run_workload(row, runs, checks, args))
    for wl in by_value_workloads.WORKLOADS:
        obj = wl.build(scale)
        row = Row(wl.name, "by value")
        runs = {n: (lambda m=m: m.dumps(obj, protocol=5)) for n, m in picklers.items()}
        checks = {n: (lambda m=m: wl.check(obj, pickle.loads(m.dumps(obj, protocol=5)))) for n, m in picklers.items()}
        rows.append(run_workload(row, runs, checks, args))
    module = make_session(scale)
    row = Row("dump_module_200_funcs_20_classes_10MB", "session")
    runs = {n: session_runner(m, module) for n, m in picklers.items()}
    checks = {n: (lambda m=m: check_session(module, session_load(m, runs[n](), module.__name__)))
              for n, m in picklers.items()}
    rows.append(run_workload(row, runs, checks, args))
    data = hasher_data(scale)
    hashers = {n: make_hasher(m) for n, m in picklers.items()}
    row = Row("datasets_hasher_2k_rows", "Python overrides")
    runs = {n: (lambda h=h: h(data)) for n, h in hashers.items()}
    checks = {n: (lambda h=h: pickle.loads(h(data)[1])["rows"][5]["point"].y == -5) for n, h in hashers.items()}
    rows.append(run_workload(row, runs, checks, args))
    return rows


def _missing(module):
    try:
        __import__(module)
        return False
    except ImportError:
        return True


def render(rows, args):
    import dill
    out = []
    out.append("anethum.dill vs dill %s, CPython %s, %s, %s" % (
        dill.__version__, platform.python_version(), cpu_model(), datetime.date.today()))
    out.append("")
    out.append("| workload | kind | dill | anethum.dill | dill ÷ anethum.dill | goal |")
    out.append("|---|---|---:|---:|---:|---|")
    ratios = []
    for r in rows:
        def cell(name):
            if name in r.times:
                return fmt_ns(r.times[name])
            return "fails: " + r.errors.get(name, "wrong result")
        if r.ratio is None:
            out.append("| %s | %s | %s | %s | n/a | |" % (r.name, r.kind, cell("dill"), cell("anethum.dill")))
            continue
        ratios.append(r.ratio)
        goal = "met" if r.ratio >= GOAL_EACH else "NOT MET (>= %dx)" % GOAL_EACH
        out.append("| %s | %s | %s | %s | %.1fx | %s |" % (
            r.name, r.kind, cell("dill"), cell("anethum.dill"), r.ratio, goal))
    if ratios:
        median = statistics.median(ratios)
        out.append("")
        out.append("median %.1fx (goal >= %dx: %s); lowest %.1fx (goal >= %dx: %s)" % (
            median, GOAL_MEDIAN, "met" if median >= GOAL_MEDIAN else "NOT MET",
            min(ratios), GOAL_EACH, "met" if min(ratios) >= GOAL_EACH else "NOT MET"))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, few repeats")
    parser.add_argument("--markdown", action="store_true", help="print only the table")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--budget", type=float, default=None, help="seconds per workload")
    args = parser.parse_args()
    if args.budget is None:
        args.budget = 0.5 if args.quick else 4.0
    try:
        import dill  # noqa: F401
    except ImportError:
        print("bench_dill.py needs dill: pip install dill", file=sys.stderr)
        return 2
    rows = bench(args)
    print(render(rows, args))
    failed = [r for r in rows if not r.ok.get("anethum.dill", False)]
    for r in failed:
        print("anethum.dill failed %s: %s" % (r.name, r.errors.get("anethum.dill", "wrong result")), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
