#!/usr/bin/env python3
"""Side-by-side benchmark: anethum.dumps/dump vs CPython's C pickler, protocol 5.

See benchmarks/README.md for usage and for what each column means.
"""

import argparse
import datetime
import gc
import importlib
import io
import json
import operator
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import _pickle

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from workloads import BY_NAME, WORKLOADS  # noqa: E402

PROTO = 5
QUICK_SCALE = 0.01
TINY_SCALE = 1e-9  # one element: enough to warm imports and per-class caches
GOAL_MAX, GOAL_MEDIAN = 1.05, 1.0
PICKLERS = ("pickle", "anethum")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load_picklers(modname):
    try:
        mod = importlib.import_module(modname)
    except ImportError as e:
        sys.exit(f"cannot import {modname!r} ({e}); build it (maturin develop) "
                 f"or use the stand-in via PYTHONPATH, see benchmarks/README.md")
    return mod, {"pickle": (_pickle.dumps, _pickle.dump), "anethum": (mod.dumps, mod.dump)}


def available(wl):
    for m in wl.needs:
        try:
            importlib.import_module(m)
        except ImportError:
            return False
    return True


# ---- runners: zero-arg callables; extract() turns a result into (bytes, [buffers])

def dumps_runner(fn, obj, oob):
    if oob:
        def run():
            bufs = []
            return fn(obj, PROTO, buffer_callback=bufs.append), bufs
    else:
        def run():
            return fn(obj, PROTO), None
    return run


def dump_runner(fn, obj, oob, target):
    """target: 'bytesio' (new BytesIO per call) or an open binary file (rewound per call)."""
    def sink():
        if target == "bytesio":
            return io.BytesIO()
        target.seek(0)
        target.truncate()
        return target

    if oob:
        def run():
            f, bufs = sink(), []
            fn(obj, f, PROTO, buffer_callback=bufs.append)
            return f, bufs
    else:
        def run():
            f = sink()
            fn(obj, f, PROTO)
            return f, None
    return run


def extract(res):
    out, bufs = res
    if not isinstance(out, bytes):
        out.flush()
        out.seek(0)
        out = out.read()
    return out, None if bufs is None else [bytes(b.raw()) for b in bufs]


# ---- measurement

def _sample(fn, inner):
    t0 = time.perf_counter_ns()
    for _ in range(inner):
        fn()
    return time.perf_counter_ns() - t0


def time_pair(runs, repeats, budget_s, stat, min_sample_ns=1_000_000):
    """Interleaved timing of runs {name: callable}; returns ({name: ns per call}, repeats).

    Order alternates per repeat (A,B then B,A) so neither side always runs
    right after the other's allocations. GC is off while timing, like timeit.
    """
    names = list(runs)
    for r in runs.values():
        r()  # warm-up
    first = {n: max(1, _sample(r, 1)) for n, r in runs.items()}
    inner = max(1, min_sample_ns // min(first.values()))
    if repeats is None:
        per_repeat = sum(first.values()) * inner
        repeats = int(budget_s * 1e9 // per_repeat) | 1
        repeats = min(max(repeats, 5), 201)
    samples = {n: [] for n in names}
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(repeats):
            for n in (names if i % 2 == 0 else names[::-1]):
                samples[n].append(_sample(runs[n], inner) / inner)
    finally:
        if was_enabled:
            gc.enable()
    agg = min if stat == "min" else statistics.median
    return {n: agg(s) for n, s in samples.items()}, samples, repeats


def paired_ratio(samples, stat):
    """anethum/pickle ratio, and half the IQR of the per-repeat ratios as a noise gauge.

    With stat=median the ratio is the median of per-repeat ratios of adjacent
    runs: CPU contention bursts usually hit both runs of a pair and cancel.
    """
    pairs = [a / p for a, p in zip(samples["anethum"], samples["pickle"])]
    q = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else [pairs[0]] * 3
    if stat == "min":
        return min(samples["anethum"]) / min(samples["pickle"]), (q[2] - q[0]) / 2
    return statistics.median(pairs), (q[2] - q[0]) / 2


def traced_peak(run):
    """Peak Python-allocator bytes above baseline during one call (output included)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        res = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del res
    return peak - base


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def rss_child(args):
    """Fresh process: build workload, then peak RSS growth during one call, in KiB."""
    import resource

    name, who, mode = args.rss_child
    wl = BY_NAME[name]
    dumps_fn, dump_fn = load_picklers(args.module)[1][who]
    tmp = tempfile.TemporaryFile() if mode == "dump" else None

    def runner(obj):
        return (dump_runner(dump_fn, obj, wl.out_of_band, tmp) if tmp
                else dumps_runner(dumps_fn, obj, wl.out_of_band))

    runner(wl.build(TINY_SCALE))()
    obj = wl.build(args.scale)
    run = runner(obj)
    gc.collect()
    # ru_maxrss alone is not enough: it includes the workload-building peak and,
    # after fork/exec, the *parent's* peak. Resetting VmHWM avoids both.
    if _reset_hwm():
        before, method = _status_kib("VmRSS"), "VmHWM"
        res = run()
        after = _status_kib("VmHWM")
    else:
        before, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
        res = run()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del res
    print(json.dumps({"kib": after - before, "method": method}))


def rss_parent(jobs, args):
    """jobs: list of (workload, pickler, mode) -> {job: KiB or None}."""
    def one(job):
        cmd = [sys.executable, os.path.abspath(__file__), "--module", args.module,
               "--scale", repr(args.scale), "--rss-child", *job]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            log(f"rss child {job} failed: {p.stderr.strip().splitlines()[-1:]}")
            return job, None
        return job, json.loads(p.stdout.splitlines()[-1])["kib"]

    with ThreadPoolExecutor(max_workers=2) as ex:  # 2 cores; RSS is per-process
        return dict(ex.map(one, jobs))


def callgrind_child(args):
    """One dumps call through operator.call, so callgrind can collect inside _operator_call only."""
    name, who = args.callgrind_child
    wl = BY_NAME[name]
    fn = load_picklers(args.module)[1][who][0]
    dumps_runner(fn, wl.build(TINY_SCALE), wl.out_of_band)()
    obj = wl.build(args.scale)
    bufs = []
    kw = {"buffer_callback": bufs.append} if wl.out_of_band else {}
    if hasattr(operator, "call"):
        out = operator.call(fn, obj, PROTO, **kw)
    else:  # before 3.11; profile_callgrind.sh then toggles on functools_reduce
        import functools
        out = functools.reduce(lambda _, o: fn(o, PROTO, **kw), [obj], None)
    print(f"{who}: {len(out)} bytes, {len(bufs)} buffers", file=sys.stderr)


# ---- benchmark driver

def bench(args, picklers):
    rows = []
    targets = ["bytesio", "file"] if args.dump else [None]
    tmpfiles = {p: tempfile.TemporaryFile(dir=args.tmpdir) for p in PICKLERS}
    for wl in WORKLOADS:
        if args.only and not any(s in wl.name for s in args.only):
            continue
        if not available(wl):
            log(f"skip {wl.name}: needs {', '.join(wl.needs)}")
            continue
        t0 = time.perf_counter()
        tiny, obj = wl.build(TINY_SCALE), wl.build(args.scale)
        for target in targets:
            row = {"workload": wl.name, "target": target or "-"}
            if target is None:
                runs = {p: dumps_runner(picklers[p][0], obj, wl.out_of_band) for p in PICKLERS}
            else:
                runs = {p: dump_runner(picklers[p][1], obj, wl.out_of_band,
                                       "bytesio" if target == "bytesio" else tmpfiles[p])
                        for p in PICKLERS}
            try:
                for p in PICKLERS:  # warm per-class caches and imports outside timing
                    dumps_runner(picklers[p][0], tiny, wl.out_of_band)()
                outs = {p: extract(runs[p]()) for p in PICKLERS}
                row["identical"] = outs["pickle"] == outs["anethum"]
                row["size"] = len(outs["pickle"][0])
                row["size_delta"] = len(outs["anethum"][0]) - row["size"]
                del outs
                med, samples, row["repeats"] = time_pair(runs, args.repeats, args.budget, args.stat)
                for p in PICKLERS:
                    row[p] = med[p]
                    row[p + "_peak"] = traced_peak(runs[p])
                row["ratio"], row["noise"] = paired_ratio(samples, args.stat)
            except Exception as e:  # keep going: one unsupported workload shouldn't hide the rest
                row["error"] = f"{type(e).__name__}: {e}"
            rows.append(row)
        del obj, tiny
        log(f"{wl.name}: {time.perf_counter() - t0:.1f}s")
    for f in tmpfiles.values():
        f.close()

    if args.memory:
        t0 = time.perf_counter()
        mode = "dump" if args.dump else "dumps"
        jobs = [(r["workload"], p, mode) for r in rows
                if r["target"] in ("-", "file") and "error" not in r for p in PICKLERS]
        rss = rss_parent(list(dict.fromkeys(jobs)), args)
        for r in rows:
            if r["target"] in ("-", "file") and "error" not in r:
                for p in PICKLERS:
                    r[p + "_rss"] = rss.get((r["workload"], p, mode))
        log(f"rss subprocesses: {time.perf_counter() - t0:.1f}s")
    return rows


# ---- reporting

def fmt_ns(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}" if ns / div < 100 else f"{ns / div:.0f} {unit}"
    return f"{ns:.0f} ns"


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


def table(rows, args):
    head = ["workload"] + (["target"] if args.dump else []) + [
        "pickle", "anethum", "ratio", "±", "output", "size", "peak pickle", "peak anethum"]
    if args.memory:
        head += ["ΔRSS pickle", "ΔRSS anethum"]
    body = []
    for r in rows:
        line = [r["workload"]] + ([r["target"]] if args.dump else [])
        if "error" in r:
            body.append(line + ["ERROR"] + [""] * (len(head) - len(line) - 1))
            continue
        line += [fmt_ns(r["pickle"]), fmt_ns(r["anethum"]), f"{r['ratio']:.3f}×",
                 f"{r['noise'] * 100:.1f}%",
                 "identical" if r["identical"] else f"DIFFERENT ({r['size_delta']:+d} B)",
                 fmt_bytes(r["size"]),
                 fmt_bytes(r["pickle_peak"]), fmt_bytes(r["anethum_peak"])]
        if args.memory:
            line += [fmt_bytes(None if r.get(p + "_rss") is None else r[p + "_rss"] << 10)
                     for p in PICKLERS]
        body.append(line)
    return head, body


def summary(rows):
    ratios = [r["ratio"] for r in rows if "ratio" in r]
    if not ratios:
        return "no timings", False
    # judged at the printed precision, so the verdict never contradicts the table
    med, mx = round(statistics.median(ratios), 3), round(max(ratios), 3)
    worst = max((r for r in rows if "ratio" in r), key=lambda r: r["ratio"])
    errors = len(rows) - len(ratios)
    met = mx <= GOAL_MAX and med <= GOAL_MEDIAN and not errors
    return (f"median ratio {med:.3f}×, max ratio {mx:.3f}× ({worst['workload']}) — goal "
            f"(no workload above {GOAL_MAX}× pickle's time, median ≤ {GOAL_MEDIAN}×): "
            f"{'MET' if met else 'NOT MET'}"
            + (f" ({errors} workload(s) errored)" if errors else "")), met


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe(args, mod, rows):
    n = [r["repeats"] for r in rows if "repeats" in r] or [0]
    reps = f"{min(n)}" if min(n) == max(n) else f"{min(n)}–{max(n)}"
    try:
        import numpy
        np_v = numpy.__version__
    except ImportError:
        np_v = "not installed"
    stand_in = mod.dumps is _pickle.dumps
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", f"{platform.platform()}; CPU {cpu_model()}; {os.cpu_count()} cores"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}; numpy {np_v}"),
        ("anethum", f"{getattr(mod, '__version__', '?')} from {getattr(mod, '__file__', '?')}"
                    + (" — STAND-IN (dumps is _pickle.dumps)" if stand_in else "")),
        ("method", f"protocol {PROTO}, {'dump()' if args.dump else 'dumps()'}, scale {args.scale}, "
                   f"{args.stat} of {reps} interleaved repeats, time per call"),
    ]


def render(rows, args, mod):
    head, body = table(rows, args)
    text, _ = summary(rows)
    errors = [f"{r['workload']} ({r['target']}): {r['error']}" for r in rows if "error" in r]
    info = describe(args, mod, rows)
    if args.markdown:
        out = [f"### {'dump() to BytesIO / temp file' if args.dump else 'dumps()'}, protocol {PROTO}", ""]
        out += [f"- **{k}**: {v}" for k, v in info]
        num = {"pickle", "anethum", "ratio", "±", "size", "peak pickle", "peak anethum",
               "ΔRSS pickle", "ΔRSS anethum"}
        out += ["", "| " + " | ".join(head) + " |",
                "|" + "|".join("---:" if h in num else "---" for h in head) + "|"]
        out += ["| " + " | ".join(line) + " |" for line in body]
        out += ([""] + [f"- ERROR {e}" for e in errors]) if errors else []
        out += ["", f"**Summary**: {text}"]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    out = [f"{k:8} {v}" for k, v in info] + [""]
    for line in [head] + body:
        out.append("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
    out += ([""] + [f"ERROR {e}" for e in errors]) if errors else []
    out += ["", f"Summary: {text}"]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smoke run: 1%% sizes, 2 repeats")
    ap.add_argument("--dump", action="store_true", help="benchmark dump() to BytesIO and a temp file")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown report for RESULTS.md")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                    help="peak-RSS subprocess per (workload, pickler) (default: on)")
    ap.add_argument("--only", action="append", metavar="SUBSTR", help="only workloads containing SUBSTR")
    ap.add_argument("--repeats", type=int, help="fixed repeat count (default: fit --budget)")
    ap.add_argument("--budget", type=float, default=4.0, help="timing seconds per workload (default 4)")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="per-call statistic over repeats (min resists CPU contention)")
    ap.add_argument("--scale", type=float, help="size multiplier (default 1, --quick 0.01)")
    ap.add_argument("--module", default="anethum", help="module under test (default anethum)")
    ap.add_argument("--tmpdir", help="directory for --dump temp files (default: system temp)")
    ap.add_argument("--list", action="store_true", help="list workload names")
    ap.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--callgrind-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale is None:
        args.scale = QUICK_SCALE if args.quick else 1.0
    if args.quick and args.repeats is None:
        args.repeats = 2

    if args.list:
        print("\n".join(w.name for w in WORKLOADS))
        return 0
    if args.rss_child:
        return rss_child(args)
    if args.callgrind_child:
        return callgrind_child(args)

    mod, picklers = load_picklers(args.module)
    assert pickle_is_c(), "pickle.dumps is not the C pickler"
    t0 = time.perf_counter()
    rows = bench(args, picklers)
    print(render(rows, args, mod))
    log(f"total {time.perf_counter() - t0:.1f}s")
    bad = [r["workload"] for r in rows if "error" in r or not r["identical"]]
    if bad:
        log(f"FAILED (error or output DIFFERENT): {', '.join(bad)}")
        return 1
    return 0


def pickle_is_c():
    import pickle
    return pickle.dumps is _pickle.dumps and pickle.dump is _pickle.dump


if __name__ == "__main__":
    sys.exit(main())
