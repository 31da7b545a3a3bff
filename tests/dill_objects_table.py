#!/usr/bin/env python
"""dill's table of example objects, round-tripped through five picklers.

For one interpreter, takes every object of dill's ``dill._objects`` table
(``succeeds`` = ``a``, ``failures`` = ``x``, ``registered`` = ``d``: 227 on
CPython 3.11 with dill 0.4.1), pickles it at protocol 5 and loads it again
with

* ``anethum``       ``anethum.dumps`` / ``anethum.loads`` (= ``pickle.loads``)
* ``anethum.dill``  ``anethum.dill.dumps`` / ``anethum.dill.loads``
* ``dill``          ``dill.dumps`` / ``dill.loads``
* ``cloudpickle``   ``cloudpickle.dumps`` / ``pickle.loads``
* ``pickle``        ``pickle.dumps`` / ``pickle.loads``

and decides "round-trips" as dill's own ``tests/test_objects.py`` does
(``pickles(name, exact=False)``): no exception, and
``type(loaded) == type(obj)``. Where ``loaded == obj`` also holds the cell
is ``✓``; ``✓~`` is a round trip by type only (not equal, or no equality).

Each pickler runs in a worker process of its own that goes through the
table object by object, with a per-object time limit (``--timeout``,
SIGALRM); a worker that dies (a crash, a hang past the limit) is restarted
after the object it was on, which is marked ``crash``/``timeout``.

    python tests/dill_objects_table.py              # the table, to stdout
    python tests/dill_objects_table.py --markdown   # the section for tests/COMPAT.md
    python tests/dill_objects_table.py --json       # machine-readable results
    python tests/dill_objects_table.py --picklers anethum,dill --recurse

Needs dill (for the table) and, for their columns, cloudpickle and anethum
(``PYTHONPATH=python`` in a checkout); a pickler that can't be imported gets
a column of ``✗ ImportError``.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time

PICKLERS = ("anethum", "anethum.dill", "dill", "cloudpickle", "pickle")
PROTOCOL = 5


# ---------------------------------------------------------------------------
# Worker side.
# ---------------------------------------------------------------------------

def _table():
    import warnings
    warnings.filterwarnings("ignore")
    import dill._objects as objects_module
    table = {}
    table.update(objects_module.succeeds)
    table.update(objects_module.failures)
    table.update(objects_module.registered)
    return table


def _roundtrip_functions(name, recurse):
    if name == "anethum":
        import anethum
        return (lambda o: anethum.dumps(o, PROTOCOL)), anethum.loads
    if name == "anethum.dill":
        import anethum.dill as adill
        adill.settings["recurse"] = recurse
        return (lambda o: adill.dumps(o, PROTOCOL)), adill.loads
    if name == "dill":
        import dill
        dill.settings["recurse"] = recurse
        return (lambda o: dill.dumps(o, PROTOCOL)), dill.loads
    if name == "cloudpickle":
        import pickle
        import cloudpickle
        return (lambda o: cloudpickle.dumps(o, PROTOCOL)), pickle.loads
    if name == "pickle":
        import pickle
        return (lambda o: pickle.dumps(o, PROTOCOL)), pickle.loads
    raise ValueError("unknown pickler %r" % (name,))


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _short(exc):
    text = "%s: %s" % (type(exc).__name__, exc)
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:87] + "..."


def _equal(a, b):
    try:
        result = a == b
        if hasattr(result, "all"):
            result = result.all()
        return bool(result)
    except Exception:
        return None


def worker(pickler, start, timeout, recurse):
    """Print one JSON line per object from index ``start`` on."""
    table = _table()
    names = sorted(table)
    try:
        dumps, loads = _roundtrip_functions(pickler, recurse)
    except Exception as exc:  # the pickler isn't there
        for name in names[start:]:
            print(json.dumps({"name": name, "ok": False, "error": _short(exc)}), flush=True)
        return
    signal.signal(signal.SIGALRM, _on_alarm)
    for index in range(start, len(names)):
        name = names[index]
        obj = table[name]
        # A line before the attempt: if this process dies, the parent knows where.
        print(json.dumps({"start": name}), flush=True)
        record = {"name": name}
        signal.alarm(timeout)
        try:
            data = dumps(obj)
            loaded = loads(data)
            signal.alarm(0)
            if type(loaded) == type(obj):
                record["ok"] = True
                record["equal"] = _equal(loaded, obj)
            else:
                record["ok"] = False
                record["error"] = "type %s != %s" % (type(loaded).__name__, type(obj).__name__)
        except _Timeout:
            record["ok"] = False
            record["error"] = "timeout (%ds)" % timeout
        except BaseException as exc:
            signal.alarm(0)
            record["ok"] = False
            record["error"] = _short(exc)
        print(json.dumps(record), flush=True)


# ---------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------

def run_pickler(pickler, timeout, recurse, names):
    """Results (name -> record) for one pickler, restarting dead workers."""
    results = {}
    start = 0
    while start < len(names):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", pickler,
               "--start", str(start), "--timeout", str(timeout)]
        if recurse:
            cmd.append("--recurse")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        current = None
        try:
            for line in proc.stdout:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # something an object printed
                if not isinstance(record, dict):
                    continue
                if "start" in record:
                    current = record["start"]
                elif "name" in record:
                    results[record["name"]] = record
                    current = None
            proc.wait(timeout=timeout * 3 + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        done = [n for n in names if n in results]
        if current is not None and current not in results:
            code = proc.returncode
            results[current] = {"name": current, "ok": False,
                                "error": "crash (exit %s)" % code}
        # Continue after the last object with a result.
        remaining = [i for i, n in enumerate(names) if n not in results]
        if not remaining:
            break
        if remaining[0] < start or (not done and current is None):
            # No progress: mark the rest as failed rather than loop.
            for i in remaining:
                results[names[i]] = {"name": names[i], "ok": False,
                                     "error": "worker failed (exit %s)" % proc.returncode}
            break
        start = remaining[0]
    return results


def _cell(record):
    if record.get("ok"):
        return "✓" if record.get("equal") else "✓~"
    return "✗ " + record.get("error", "").replace("|", "\\|")


def build(picklers, timeout, recurse):
    names = sorted(_table())
    results = {p: run_pickler(p, timeout, recurse, names) for p in picklers}
    totals = {p: sum(1 for n in names if results[p].get(n, {}).get("ok")) for p in picklers}
    return names, results, totals


def _versions():
    versions = {"python": platform.python_version()}
    for module in ("dill", "cloudpickle", "anethum"):
        try:
            mod = __import__(module)
            versions[module] = getattr(mod, "__version__", "?")
        except Exception:
            versions[module] = None
    return versions


def render_markdown(names, results, totals, picklers, recurse, section):
    out = []
    versions = _versions()
    header = ("CPython %s, dill %s, cloudpickle %s, protocol %d, recurse=%s, %s"
              % (versions["python"], versions["dill"], versions["cloudpickle"], PROTOCOL,
                 recurse, time.strftime("%Y-%m-%d", time.gmtime())))
    if section:
        out.append("## dill's object table (`dill._objects`)")
        out.append("")
        out.append("`tests/dill_objects_table.py --markdown`: every object of dill's table of "
                   "examples (`succeeds`, `failures`, `registered`) dumped at protocol 5 and "
                   "loaded again; a round trip is what dill's `tests/test_objects.py` counts "
                   "(no exception and the same type). `✓` also `==`, `✓~` same type only.")
        out.append("")
        out.append(header + ".")
        out.append("")
    out.append("| pickler | round-trips (of %d) |" % len(names))
    out.append("|---|---:|")
    for p in picklers:
        out.append("| %s | %d |" % (p, totals[p]))
    out.append("")
    if section:
        out.append("<details><summary>per object</summary>")
        out.append("")
    out.append("| object | " + " | ".join(picklers) + " |")
    out.append("|---|" + "---|" * len(picklers))
    for n in names:
        out.append("| %s | " % n + " | ".join(_cell(results[p].get(n, {})) for p in picklers) + " |")
    out.append("| **total** | " + " | ".join("**%d**" % totals[p] for p in picklers) + " |")
    if section:
        out.append("")
        out.append("</details>")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true",
                        help="print the section for tests/COMPAT.md")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--picklers", default=",".join(PICKLERS),
                        help="comma-separated subset of %s" % ",".join(PICKLERS))
    parser.add_argument("--timeout", type=int, default=20, help="seconds per object")
    parser.add_argument("--recurse", action="store_true",
                        help="settings['recurse'] = True for dill and anethum.dill "
                             "(as dill's test_objects.py sets)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.start, args.timeout, args.recurse)
        return 0
    picklers = [p for p in args.picklers.split(",") if p]
    for p in picklers:
        if p not in PICKLERS:
            parser.error("unknown pickler %r" % p)
    names, results, totals = build(picklers, args.timeout, args.recurse)
    if args.json:
        print(json.dumps({"versions": _versions(), "protocol": PROTOCOL,
                          "recurse": args.recurse, "objects": len(names),
                          "totals": totals, "results": results}, indent=1, sort_keys=True))
    else:
        print(render_markdown(names, results, totals, picklers, args.recurse, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
