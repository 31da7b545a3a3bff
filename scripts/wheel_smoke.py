"""Smoke test of an installed anethum wheel (run by scripts/wheels.sh).

Run it with the venv's interpreter in isolated mode from a directory outside
the source tree (`python -I wheel_smoke.py`), so that `import anethum` can
only find the installed wheel:

- anethum comes from the venv's site-packages, with its compiled extension;
- a lambda, a closure and a class made at run time go by value through
  `anethum.dumps` and load with plain `pickle.loads`, here and in a fresh
  interpreter that has never seen their definitions;
- for a plain dict, list, tuple and set, `anethum.dumps(obj, p)` is
  byte-identical to `pickle.dumps(obj, p)` at every protocol 0..5 and the
  default one.
"""

import os
import pickle
import subprocess
import sys

import anethum
import anethum._anethum

passed = []


def check(name, condition, detail=""):
    if not condition:
        raise SystemExit(f"wheel smoke FAILED: {name} {detail}".rstrip())
    passed.append(name)


# The installed package, not a source tree.
package = os.path.dirname(os.path.realpath(anethum.__file__))
prefix = os.path.realpath(sys.prefix)
check("installed", package.startswith(prefix + os.sep), f"({package} is not under {prefix})")
check("extension", os.path.dirname(os.path.realpath(anethum._anethum.__file__)) == package)
check("protocols", (anethum.HIGHEST_PROTOCOL, anethum.DEFAULT_PROTOCOL) ==
      (pickle.HIGHEST_PROTOCOL, pickle.DEFAULT_PROTOCOL))


def make_counter(start):
    count = start

    def step(by=1):
        nonlocal count
        count += by
        return count

    return step


def make_class(label):
    class Tagged:
        kind = label

        def __init__(self, value):
            self.value = value

        def describe(self):
            return f"{self.kind}:{self.value}"

    return Tagged


square = lambda x: x * x  # noqa: E731
Dynamic = type("Dynamic", (), {"double": lambda self, n: 2 * n, "tag": "made by type()"})
Tagged = make_class("herb")

for p in (2, 3, 4, 5, None):
    f = pickle.loads(anethum.dumps(square, p))
    check(f"lambda p={p}", f(7) == 49)
    c = pickle.loads(anethum.dumps(make_counter(10), p))
    check(f"closure p={p}", c() == 11 and c(5) == 16)
    cls = pickle.loads(anethum.dumps(Dynamic, p))
    check(f"type() class p={p}", cls().double(21) == 42 and cls.tag == "made by type()")
    obj = pickle.loads(anethum.dumps(Tagged("dill"), p))
    check(f"local class instance p={p}", obj.describe() == "herb:dill")

# By value for real: a fresh interpreter without this script's definitions.
blob = anethum.dumps((square, make_counter(10), Dynamic, Tagged("seed")), 5)
loader = (
    "import pickle, sys\n"
    "f, c, D, t = pickle.loads(sys.stdin.buffer.read())\n"
    "assert f(3) == 9 and c() == 11 and c(2) == 13\n"
    "assert D().double(4) == 8 and t.describe() == 'herb:seed'\n"
    "print('ok')\n"
)
run = subprocess.run([sys.executable, "-I", "-c", loader], input=blob, capture_output=True)
check("by value in a fresh interpreter", run.returncode == 0 and run.stdout.strip() == b"ok",
      run.stderr.decode(errors="replace")[-2000:])

# Byte identity with pickle for plain containers.
plain = {
    "dict": {"id": 7, "name": "anethum", "n": 2**100, "neg": -(2**40), "pi": 3.14159,
             "blob": b"\x00\x01\xff", "none": None, "flags": [True, False], "nested": {"a": (1, 2)}},
    "list": [1, 2.5, "three", b"four", None, [5, [6]], {"seven": 7}, (8,), 2**64, "é€😀"],
    "tuple": (1, "two", (3, (4, ())), [5], frozenset({6}), 7.0, -8),
    "set": {1, 2, 3, "herb", "seed", (4, 5), 2**70, -1.5},
}
for name, obj in plain.items():
    for p in (0, 1, 2, 3, 4, 5, None):
        a, b = anethum.dumps(obj, p), pickle.dumps(obj, p)
        check(f"{name} p={p}", a == b, f"anethum {a!r} != pickle {b!r}")
        check(f"{name} p={p} loads", pickle.loads(a) == obj)

print(f"wheel smoke: CPython {sys.version.split()[0]}, anethum from {package}: "
      f"{len(passed)} passed, 0 failed")
