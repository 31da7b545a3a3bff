"""pytest entry point for run_pickletester.py (runs it in a subprocess)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


import pytest


@pytest.mark.parametrize("mode", ["strict", "by-value"])
def test_cpython_pickletester_passes(mode):
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "run_pickletester.py"), "--mode", mode],
        capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-20000:]
    print(proc.stdout.splitlines()[-1])
