"""Lazy imports (PEP 810, 3.15): ``lazy import x`` binds a proxy in the
module's dict, which LOAD_GLOBAL replaces by the import on first use but
a plain dict read returns. A function (or module) pickled by value ships
what the name stands for, never the proxy."""
import os
import pickle
import subprocess
import sys
import textwrap
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import PROTOCOLS, dumps  # noqa: E402

pytestmark = pytest.mark.skipif(
    not hasattr(types, "LazyImportType"), reason="lazy imports are new in 3.15 (PEP 810)")

import anethum  # noqa: E402

_ANETHUM_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))

SENDER = '''
lazy import csv
lazy from decimal import Decimal
lazy import xml.dom.minidom
import sys, types
import anethum

def uses():
    return (csv.QUOTE_ALL, str(Decimal("1.5")),
            xml.dom.minidom.parseString("<a/>").documentElement.tagName)

NAMES = ("csv", "Decimal", "xml")
assert all(type(dict.get(globals(), n)) is types.LazyImportType for n in NAMES)
data = anethum.dumps(uses, int(sys.argv[1]))
# The sender's own globals are left as they were.
assert all(type(dict.get(globals(), n)) is types.LazyImportType for n in NAMES)
sys.stdout.buffer.write(data)
'''

RECEIVER = '''
import pickle, sys
f = pickle.loads(sys.stdin.buffer.read())
import csv
assert f() == (csv.QUOTE_ALL, "1.5", "a"), f()
assert "xml.dom.minidom" in sys.modules
print("ok")
'''


def run(source, *args, stdin=None):
    env = dict(os.environ, PYTHONPATH=_ANETHUM_PARENT)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(source), *args], input=stdin,
                          env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def test_function_in_main_ships_the_imports(protocol):
    data = run(SENDER, str(protocol))
    assert b"lazy_import" not in data
    assert run(RECEIVER, stdin=data).strip() == b"ok"


def dynamic_module(source):
    module = types.ModuleType("dyn_lazy")
    exec(source, module.__dict__)
    return module


def test_dynamic_module_and_its_function(protocol):
    module = dynamic_module("lazy import csv\nlazy from decimal import Decimal\n"
                            "def f():\n    return csv.QUOTE_ALL, Decimal(2)\n")
    f = pickle.loads(dumps(module.f, protocol))
    import csv
    from decimal import Decimal
    assert f() == (csv.QUOTE_ALL, Decimal(2))
    loaded = pickle.loads(dumps(module, protocol))
    assert dict.get(loaded.__dict__, "csv") is csv
    assert dict.get(loaded.__dict__, "Decimal") is Decimal
    assert type(dict.get(module.__dict__, "csv")) is types.LazyImportType


def test_failing_lazy_import_fails_the_pickling(protocol):
    module = dynamic_module("lazy import anethum_no_such_module_5e1\n"
                            "def f():\n    return anethum_no_such_module_5e1.x\n")
    with pytest.raises(ImportError):
        dumps(module.f, protocol)
