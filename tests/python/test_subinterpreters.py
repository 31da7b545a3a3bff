"""anethum's compiled core keeps process-wide state of the main
interpreter, so importing it in a sub-interpreter fails with a clear
ImportError instead of sharing objects across interpreters."""
import os
import subprocess
import sys
import textwrap

import pytest

import anethum

SCRIPT = textwrap.dedent("""
    import sys
    try:
        import _interpreters as subinterpreters          # 3.13+
    except ImportError:
        import _xxsubinterpreters as subinterpreters     # 3.9-3.12
    import anethum
    anethum.dumps(lambda: 1)                             # the main interpreter's copy works
    interp = subinterpreters.create()
    code = '''
    try:
        import anethum._anethum
    except ImportError as exc:
        message = str(exc)
    else:
        message = "imported"
    with open(%r, "w") as f:
        f.write(message)
    '''
    subinterpreters.run_string(interp, code % (sys.argv[1],))
    subinterpreters.destroy(interp)
    print(anethum.dumps([1, 2], 2) == __import__("pickle").dumps([1, 2], 2))
""")


def test_import_in_a_subinterpreter_is_refused(tmp_path):
    if sys.version_info < (3, 9):
        pytest.skip("no sub-interpreter module")
    out = tmp_path / "message.txt"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env,
                          capture_output=True, text=True, timeout=60)
    if "No module named '_xxsubinterpreters'" in proc.stderr:
        pytest.skip("this build has no sub-interpreter module")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
    message = out.read_text()
    if sys.version_info >= (3, 12):
        # CPython refuses first: pyo3 declares the module single-interpreter.
        assert "does not support loading in subinterpreters" in message, message
    else:
        assert "sub-interpreter" in message and "process-wide" in message, message
