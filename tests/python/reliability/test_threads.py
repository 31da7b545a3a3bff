"""Threads: dumps while another thread mutates the graph, one Pickler
shared by several threads, and a process-wide cache entered again while
its first lookup runs.  ``sys.setswitchinterval(1e-6)`` and Python-level
reducers inside the graphs make the GIL change hands mid-dump.

Each part runs in a subprocess (threads_body.py): a crash is a signal, a
deadlock a timeout, both a test failure rather than a dead run.  Pass: no
crash or hang, every dump that returns gives a pickle that loads, every
other one raises an ordinary exception (for the shared Pickler: a
RuntimeError saying it is in the middle of dump()).
"""
import json
import os
import subprocess
import sys

import pytest

import soak_knob

HERE = os.path.dirname(os.path.abspath(__file__))
SHORT_SECONDS = 3


def run(mode):
    seconds = soak_knob.duration(SHORT_SECONDS)
    args = [sys.executable, os.path.join(HERE, "threads_body.py"), mode,
            str(seconds)]
    try:
        proc = subprocess.run(args, capture_output=True, text=True,
                              timeout=seconds * 10 + 120, cwd=HERE)
    except subprocess.TimeoutExpired as exc:
        pytest.fail("%s: hung (no exit after %ds)\n%s"
                    % (mode, exc.timeout, (exc.stderr or b"")[-3000:]))
    assert proc.returncode == 0, "%s: exit %d\n%s" % (
        mode, proc.returncode, proc.stderr[-3000:])
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    print("%s (%.0fs): %s" % (mode, seconds, counts))
    return counts


def test_dumps_while_graph_mutates():
    counts = run("mutate")
    assert counts["dumps"] > 0 and counts["mutations"] > 0


def test_one_pickler_many_threads():
    # _pickle segfaults here; anethum serializes dump() per Pickler and
    # answers the others with RuntimeError.
    counts = run("shared-pickler")
    assert counts["dumps"] > 0


def test_types_module_cache_reentered():
    # Was a deadlock: a std Mutex held across the module __getattr__ call.
    counts = run("types-lock")
    assert counts["dumps"] > 0 and counts["nested"] > 0
