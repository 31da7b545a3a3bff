"""Round-trip helpers for the by-value tests (no conftest needed).

Set ANETHUM_BY_VALUE_STANDIN=1 when running the tests against a stand-in
``anethum`` (e.g. one backed by cloudpickle): tests marked ``anethum_only``
(those checking anethum-specific pickle contents) are then skipped.
"""
import io
import os
import pickle
import pickletools
import subprocess
import sys
import tempfile
import textwrap

import pytest

import anethum

STANDIN = os.environ.get("ANETHUM_BY_VALUE_STANDIN", "") not in ("", "0")
anethum_only = pytest.mark.skipif(
    STANDIN, reason="checks anethum-specific pickle contents")

#: Protocols every by-value test runs with.
PROTOCOLS = tuple(range(2, pickle.HIGHEST_PROTOCOL + 1))

_ANETHUM_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))


def dumps(obj, protocol=5):
    return anethum.dumps(obj, protocol)


def roundtrip(obj, protocol=5):
    """``pickle.loads(anethum.dumps(obj, protocol))``."""
    return pickle.loads(anethum.dumps(obj, protocol))


_SCRIPT = """\
import pickle, sys
_pre_modules = set(sys.modules)
with open({inp!r}, "rb") as _f:
    obj = pickle.load(_f)
{check}
if "result" in globals():
    import anethum
    with open({out!r}, "wb") as _f:
        _f.write(anethum.dumps(result, {protocol!r}))
"""


def roundtrip_in_subprocess(obj, check_source, protocol=5, timeout=60):
    """Load ``anethum.dumps(obj)`` with plain ``pickle.load`` in a fresh
    interpreter and run ``check_source`` there.

    In ``check_source``, ``obj`` is the loaded object and ``_pre_modules``
    the set of module names imported before loading.  If it sets
    ``result``, that is pickled back with anethum and returned, loaded in
    this process; otherwise None is returned.  The subprocess can import
    anethum but not the test modules (nor ``by_value_support``).
    """
    data = anethum.dumps(obj, protocol)
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "in.pkl")
        out = os.path.join(tmp, "out.pkl")
        with open(inp, "wb") as f:
            f.write(data)
        script = _SCRIPT.format(inp=inp, out=out, protocol=protocol,
                                check=textwrap.dedent(check_source))
        env = dict(os.environ)
        env["PYTHONPATH"] = _ANETHUM_PARENT
        env.pop("PYTHONSTARTUP", None)
        proc = subprocess.run([sys.executable, "-c", script], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(
                "subprocess failed (rc=%d)\n--- script ---\n%s\n--- stderr ---\n%s"
                % (proc.returncode, script, proc.stderr))
        if os.path.exists(out):
            with open(out, "rb") as f:
                return pickle.loads(f.read())
    return None


def dis_text(data):
    """``pickletools.dis`` output as a string."""
    out = io.StringIO()
    pickletools.dis(data, out=out)
    return out.getvalue()


_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE",
               "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}
_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
_PUT_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}


def globals_in_pickle(data):
    """Set of ``(module, qualname)`` named by GLOBAL/STACK_GLOBAL opcodes.

    Follows the memo so that STACK_GLOBAL operands fetched with *GET are
    resolved too.
    """
    found = set()
    memo = {}
    pushed = []  # what each non-memo opcode pushed (a str, or None)
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        if name == "GLOBAL":
            module, _, qualname = arg.partition(" ")
            found.add((module, qualname))
            pushed.append(None)
        elif name == "STACK_GLOBAL":
            if len(pushed) >= 2:
                found.add((pushed[-2], pushed[-1]))
            pushed.append(None)
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif name in _PUT_OPS:
            memo[arg] = pushed[-1] if pushed else None
        elif name in _GET_OPS:
            pushed.append(memo.get(arg))
        elif name in _STRING_OPS:
            pushed.append(arg if isinstance(arg, str) else None)
        elif name != "FRAME":
            pushed.append(None)
    return found


def modules_in_pickle(data):
    return {module for module, _ in globals_in_pickle(data)}
