#!/usr/bin/env python3
"""By-value benchmark: anethum vs cloudpickle vs dill (and stdlib pickle), protocol 5.

Pickles functions, classes and instances that stdlib pickle refuses (lambdas,
closures, classes made at run time, a `__main__`-like module's functions) and
one importable-class control, all in ONE process, with interleaved repeats
(the same timing helpers as bench_dumps.py). Per workload it reports the dumps
time of each pickler, the ratios anethum/cloudpickle and anethum/dill (and
anethum/pickle for the importable control), the output sizes, and the time of
`pickle.loads` on each pickler's output (anethum/cloudpickle ratio).

Every output is loaded with `pickle.loads` and the loaded object is called and
compared with the original (the `ok` column).

    python benchmarks/bench_by_value.py            # full run, ~1-2 min
    python benchmarks/bench_by_value.py --quick    # smoke run, a few seconds
    python benchmarks/bench_by_value.py --module cloudpickle --quick   # validate with a stand-in
    ANETHUM_BENCH_MODULE=cloudpickle python benchmarks/bench_by_value.py   # same

Needs `pip install cloudpickle==3.1.2 dill` in the same interpreter (a missing
one is reported and its columns show `missing`).

Exit status: 1 if anethum raises on a workload or its output doesn't load back
to an equivalent object; missed speed/size goals don't change it (timings on a
shared machine are too noisy for CI).
"""

import argparse
import datetime
import gc
import importlib
import itertools
import os
import pickle
import platform
import statistics
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_dumps import _sample, cpu_model, fmt_bytes, fmt_ns, log  # noqa: E402
from by_value.workloads import WORKLOADS  # noqa: E402

PROTO = 5
QUICK_SCALE = 0.01
CLOUDPICKLE_VERSION = "3.1.2"
# goals (the ratios are anethum ÷ other, time per call; below 1 = anethum faster)
GOAL_VS_CLOUDPICKLE = 1 / 5     # by-value workloads: >= 5x faster than cloudpickle
GOAL_VS_DILL = 1 / 30           # by-value workloads: >= 30x faster than dill
GOAL_VS_PICKLE = 1.05           # importable instances: within 1.05x of pickle
GOAL_LOAD = 1.0                 # pickle.loads of anethum's output no slower than of cloudpickle's


def import_optional(name, hint):
    try:
        return importlib.import_module(name), None
    except ImportError as e:
        msg = f"{name} is not installed ({e}); install it with: {sys.executable} -m pip install {hint}"
        log("WARNING: " + msg)
        return None, msg


def load_picklers(modname):
    """-> (module under test, {name: dumps or None}, [problems])."""
    try:
        mod = importlib.import_module(modname)
    except ImportError as e:
        sys.exit(f"cannot import {modname!r} ({e}); build it (maturin develop --release, or pip "
                 f"install wheels/anethum-*.whl), or validate with --module cloudpickle")
    problems = []
    cp, msg = import_optional("cloudpickle", f"cloudpickle=={CLOUDPICKLE_VERSION}")
    if msg:
        problems.append(msg)
    elif cp.__version__ != CLOUDPICKLE_VERSION:
        problems.append(f"cloudpickle is {cp.__version__}, the goals are set against "
                        f"{CLOUDPICKLE_VERSION} (pip install cloudpickle=={CLOUDPICKLE_VERSION})")
        log("WARNING: " + problems[-1])
    dill, msg = import_optional("dill", "dill")
    if msg:
        problems.append(msg)
    picklers = {
        "anethum": mod.dumps,
        "cloudpickle": cp.dumps if cp else None,
        "dill": dill.dumps if dill else None,
        "pickle": pickle.dumps,
    }
    return mod, picklers, problems


def time_interleaved(runs, repeats, budget_s, min_sample_ns=1_000_000):
    """Interleaved timing of runs {name: callable} -> ({name: median ns per call}, samples, repeats).

    Like bench_dumps.time_pair, but for 2-4 picklers: repeat i runs them in the
    i-th of all their orders (cycling), so each one follows each other one
    equally often. With a fixed A,B,C / C,B,A alternation, B would always run
    right after a slow, allocation-heavy dill call, which skews A/B by ~5%.
    GC is off while timing; calls shorter than 1 ms are looped inside a sample.
    """
    names = list(runs)
    orders = list(itertools.permutations(names))
    for r in runs.values():
        r()  # warm-up
    first = {n: max(1, _sample(r, 1)) for n, r in runs.items()}
    inner = max(1, min_sample_ns // min(first.values()))
    if repeats is None:
        per_repeat = sum(first.values()) * inner
        repeats = int(budget_s * 1e9 // per_repeat)
        # whole cycles of orders when affordable, at least 5 repeats, at most 201
        if repeats >= len(orders):
            repeats -= repeats % len(orders)
        repeats = min(max(repeats, 5), 201)
    samples = {n: [] for n in names}
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(repeats):
            for n in orders[i % len(orders)]:
                samples[n].append(_sample(runs[n], inner) / inner)
    finally:
        if was_enabled:
            gc.enable()
    return {n: statistics.median(s) for n, s in samples.items()}, samples, repeats


def paired(samples, a, b):
    """Median of per-repeat ratios a/b of adjacent runs, and half their IQR (noise gauge)."""
    pairs = [x / y for x, y in zip(samples[a], samples[b])]
    q = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else [pairs[0]] * 3
    return statistics.median(pairs), (q[2] - q[0]) / 2


def short_error(e):
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= 160 else text[:157] + "..."


def bench_one(wl, args, picklers):
    row = {"workload": wl.name, "kind": wl.kind, "errors": {}, "ok": {}, "size": {},
           "dumps": {}, "loads": {}}
    obj = wl.build(args.scale)
    # pickle only takes part where it can: the importable control
    names = [p for p in ("anethum", "cloudpickle", "dill") if picklers[p] is not None]
    if wl.kind == "importable":
        names.append("pickle")
    outs = {}
    for p in names:
        fn = picklers[p]
        try:
            outs[p] = fn(obj, PROTO)
        except Exception as e:  # keep going: show ERROR in the row
            row["errors"][p] = "dumps " + short_error(e)
            continue
        row["size"][p] = len(outs[p])
        try:
            row["ok"][p] = bool(wl.check(obj, pickle.loads(outs[p])))
        except Exception as e:
            row["ok"][p] = False
            row["errors"][p] = "load/check " + short_error(e)
    good = [p for p in names if p in outs]
    # byte-identical outputs load in the same time: the load goal is met without timing noise
    row["same_bytes"] = "anethum" in outs and outs["anethum"] == outs.get("cloudpickle")
    if good:
        def dumps_run(fn):
            return lambda: fn(obj, PROTO)

        def loads_run(data):
            return lambda: pickle.loads(data)

        med, samples, row["repeats"] = time_interleaved(
            {p: dumps_run(picklers[p]) for p in good}, args.repeats, args.budget)
        row["dumps"] = med
        if "anethum" in med:
            for p in good:
                if p != "anethum":
                    row["ratio_" + p], row["noise_" + p] = paired(samples, "anethum", p)
        loadable = [p for p in good if row["ok"].get(p)]
        if loadable:
            med, samples, _ = time_interleaved({p: loads_run(outs[p]) for p in loadable},
                                               args.repeats, args.budget / 2)
            row["loads"] = med
            gc.collect()   # loaded classes/functions sit in reference cycles
            if "anethum" in med and "cloudpickle" in med:
                row["load_ratio"], row["load_noise"] = paired(samples, "anethum", "cloudpickle")
    return row


def bench(args, picklers):
    rows = []
    for wl in WORKLOADS:
        if args.only and not any(s in wl.name for s in args.only):
            continue
        t0 = time.perf_counter()
        rows.append(bench_one(wl, args, picklers))
        log(f"{wl.name}: {time.perf_counter() - t0:.1f}s")
    return rows


# ---- goals

NA = "n/a"


def goals(row):
    """[(label, met)] for one row. met: True/False; None if anethum raised (counts as
    not met); NA if the other pickler raised or is missing (can't compare, not counted)."""
    out = []

    def judge(key, other, limit, nd=3):   # judged at the printed precision
        x = row.get(key)
        if x is not None:
            return round(x, nd) <= round(limit, nd)
        if "anethum" in row["errors"] or not row["ok"].get("anethum", False):
            return None
        return NA if other in row["errors"] or other not in row["dumps"] else None

    if row["kind"] == "by_value":
        out.append(("≥5× faster than cloudpickle",
                    judge("ratio_cloudpickle", "cloudpickle", GOAL_VS_CLOUDPICKLE)))
        out.append(("≥30× faster than dill", judge("ratio_dill", "dill", GOAL_VS_DILL, 4)))
    else:
        out.append((f"within {GOAL_VS_PICKLE}× of pickle", judge("ratio_pickle", "pickle", GOAL_VS_PICKLE)))
    sa, sc = row["size"].get("anethum"), row["size"].get("cloudpickle")
    out.append(("size ≤ cloudpickle's", sa <= sc if sa is not None and sc is not None
                else None if sa is None else NA))
    out.append(("load no slower than cloudpickle's", True if row.get("same_bytes")
                else judge("load_ratio", "cloudpickle", GOAL_LOAD, 2)))
    return out


# ---- reporting

def fmt_ratio(x, noise=None):
    if x is None:
        return "-"
    speed = f" ({1 / x:.1f}× faster)" if x < 0.67 else ""
    return f"{x:.3f}×{speed}" + (f" ±{noise * 100:.0f}%" if noise is not None else "")


def cell_time(row, p, picklers, key="dumps"):
    if picklers[p] is None:
        return "missing"
    if p in row["errors"] and (key == "dumps" or p not in row[key]):
        return "ERROR"
    return fmt_ns(row[key][p]) if p in row[key] else "-"


def table(rows, picklers):
    cols = ["anethum", "cloudpickle", "dill", "pickle"]
    head = (["workload"] + [f"dumps {p}" for p in cols] + ["anethum/cloudpickle", "anethum/dill",
            "anethum/pickle"] + [f"size {p}" for p in cols]
            + [f"load {p}" for p in cols[:2]] + ["load a/c", "ok", "goals"])
    body = []
    for row in rows:
        line = [row["workload"]]
        for p in cols:
            line.append("" if p == "pickle" and row["kind"] != "importable"
                        else cell_time(row, p, picklers))
        line += [fmt_ratio(row.get("ratio_cloudpickle"), row.get("noise_cloudpickle")),
                 fmt_ratio(row.get("ratio_dill"), row.get("noise_dill")),
                 fmt_ratio(row.get("ratio_pickle"), row.get("noise_pickle"))
                 if row["kind"] == "importable" else ""]
        for p in cols:
            if p == "pickle" and row["kind"] != "importable":
                line.append("")
            elif p in row["size"]:
                line.append(fmt_bytes(row["size"][p]))
            else:
                line.append("ERROR" if p in row["errors"] else "-")
        line += [cell_time(row, p, picklers, "loads") for p in cols[:2]]
        line.append(fmt_ratio(row.get("load_ratio"), row.get("load_noise"))
                    + (" (same bytes)" if row.get("same_bytes") else ""))
        bad = [p for p, ok in row["ok"].items() if not ok]
        line.append("ERROR (anethum)" if "anethum" in row["errors"] and "anethum" not in row["ok"]
                    else ("BAD " + ",".join(bad)) if bad else "ok")
        g = goals(row)
        judged = [m for _, m in g if m is not NA]
        line.append(f"{sum(m is True for m in judged)}/{len(judged)}")
        body.append(line)
    return head, body


def goal_summary(rows):
    lines, all_met = [], True
    for label in ("≥5× faster than cloudpickle", "≥30× faster than dill",
                  f"within {GOAL_VS_PICKLE}× of pickle", "size ≤ cloudpickle's",
                  "load no slower than cloudpickle's"):
        judged = [(row["workload"], m) for row in rows for lab, m in goals(row) if lab == label]
        if not judged:
            continue
        missed = [w for w, m in judged if m is False]
        unknown = [w for w, m in judged if m is None]
        na = [w for w, m in judged if m is NA]
        met = not missed and not unknown
        all_met &= met
        detail = "; ".join(
            x for x in ((f"missed by {', '.join(missed)}" if missed else ""),
                        (f"anethum ERROR on {', '.join(unknown)}" if unknown else ""),
                        (f"n/a (the other pickler failed or is missing) for {', '.join(na)}"
                         if na else ""))
            if x)
        detail = f": {detail}" if detail else ""
        lines.append(f"  {'MET    ' if met else 'NOT MET'} {label} ({len(judged)} workload(s)){detail}")
    return lines, all_met


def module_version(mod):
    v = getattr(mod, "__version__", None)
    if v is None:
        try:
            from importlib.metadata import version
            v = version(mod.__name__)
        except Exception:
            v = "?"
    return v


def describe(args, mod, rows, picklers):
    n = [r["repeats"] for r in rows if "repeats" in r] or [0]
    reps = f"{min(n)}" if min(n) == max(n) else f"{min(n)}–{max(n)}"
    vers = []
    for p in ("cloudpickle", "dill"):
        m = sys.modules.get(p)
        vers.append(f"{p} {getattr(m, '__version__', '?')}" if picklers[p] else f"{p} MISSING")
    stand_in = mod.__name__ != "anethum"
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", f"{platform.platform()}; CPU {cpu_model()}; {os.cpu_count()} cores"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}; " + ", ".join(vers)),
        ("anethum", f"{module_version(mod)} from {getattr(mod, '__file__', '?')}"
                    + (f" — STAND-IN: module {mod.__name__!r} plays anethum" if stand_in else "")),
        ("method", f"protocol {PROTO}, dumps(), scale {args.scale}, median of {reps} interleaved "
                   f"repeats cycling through all orders; ratios: median of per-repeat paired "
                   f"ratios, ± half their IQR; "
                   f"loads = pickle.loads of each output; recursion limit {sys.getrecursionlimit()}"),
    ]


def render(rows, args, mod, picklers, problems):
    head, body = table(rows, picklers)
    info = describe(args, mod, rows, picklers)
    glines, _ = goal_summary(rows)
    errors = [f"{r['workload']} [{p}]: {e}" for r in rows for p, e in r["errors"].items()]
    if args.markdown:
        out = [f"### By value: anethum vs cloudpickle vs dill, protocol {PROTO}", ""]
        out += [f"- **{k}**: {v}" for k, v in info]
        out += [f"- **WARNING**: {p}" for p in problems]
        out += ["", "| " + " | ".join(head) + " |",
                "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
        out += ["| " + " | ".join(line) + " |" for line in body]
        out += ([""] + [f"- ERROR {e}" for e in errors]) if errors else []
        out += ["", "**Goals**:", "```"] + glines + ["```"]
        return "\n".join(out)
    # the table is wide: print it as two blocks sharing the workload column
    split = 1 + 4 + 3
    blocks = [[0] + list(range(1, split)), [0] + list(range(split, len(head)))]
    out = [f"{k:8} {v}" for k, v in info]
    out += [f"WARNING  {p}" for p in problems] + [""]
    for cols in blocks:
        sub = [[line[i] for i in cols] for line in [head] + body]
        widths = [max(len(str(x)) for x in col) for col in zip(*sub)]
        for line in sub:
            out.append("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
        out.append("")
    out += ([f"ERROR {e}" for e in errors] + [""]) if errors else []
    out += ["Goals (judged at the printed precision; an anethum ERROR counts as not met, "
            "a cloudpickle/dill failure makes that comparison n/a):"] + glines
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 1%% sizes, 2 repeats")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown report")
    ap.add_argument("--only", action="append", metavar="SUBSTR", help="only workloads containing SUBSTR")
    ap.add_argument("--repeats", type=int, help="fixed repeat count (default: fit --budget)")
    ap.add_argument("--budget", type=float, default=4.0,
                    help="dumps timing seconds per workload (loads get half; default 4)")
    ap.add_argument("--scale", type=float, help="size multiplier (default 1, --quick 0.01)")
    ap.add_argument("--module", default=os.environ.get("ANETHUM_BENCH_MODULE", "anethum"),
                    help="module under test, with dumps(obj, protocol) (default anethum, "
                         "or $ANETHUM_BENCH_MODULE); --module cloudpickle validates the script")
    ap.add_argument("--recursion-limit", type=int, default=20_000,
                    help="sys.setrecursionlimit for the run (default 20000: dill needs it)")
    ap.add_argument("--list", action="store_true", help="list workloads")
    args = ap.parse_args()
    if args.scale is None:
        args.scale = QUICK_SCALE if args.quick else 1.0
    if args.quick and args.repeats is None:
        args.repeats = 2
    if args.list:
        print("\n".join(f"{w.name:28} {w.kind:11} {w.description}" for w in WORKLOADS))
        return 0

    mod, picklers, problems = load_picklers(args.module)
    # dill recurses once per nested object; its default depth fails on the 200-function module
    sys.setrecursionlimit(max(sys.getrecursionlimit(), args.recursion_limit))
    if "dill" in sys.modules:   # dill warns before it raises; the ERROR row says it already
        warnings.simplefilter("ignore", sys.modules["dill"].PicklingWarning)
    t0 = time.perf_counter()
    rows = bench(args, picklers)
    print(render(rows, args, mod, picklers, problems))
    log(f"total {time.perf_counter() - t0:.1f}s")
    bad = [r["workload"] for r in rows if "anethum" in r["errors"] or not r["ok"].get("anethum")]
    if bad:
        log(f"FAILED (anethum raised, or its output did not load back equivalent): {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
