"""Run one of dill's test files as ``__main__`` and count its tests.

    python runner.py TEST_FILE RESULTS_JSON

dill's test files run as scripts: the ``if __name__ == '__main__':`` block
calls the file's ``test_*`` functions in turn, and the first failure ends
the run. Here each such call (a ``test_*(...)`` statement, or an assignment
from one, anywhere in that block) is a test: the block is rewritten so that
every call runs inside ``try``/``except BaseException`` and is recorded as
passed or failed, and the run goes on. ``if __name__ == '__main__' and ...``
blocks (test_session's ``--child`` part, run by the parent test in a
subprocess) are left as they are and not counted. A file with no such call
(test_registered: its checks are at module level) is one test, passed if it
runs without an exception.

A call the block doesn't reach (a version check, ``if test_pycapsule is not
None``) is "skipped"; if the module fails before its main block, or the
process dies, every test not recorded is "failed".

RESULTS_JSON gets ``{"tests": [[name, outcome, error], ...], "module_error":
...}``, rewritten after each test.
"""

import ast
import json
import os
import sys
import traceback
import types

RECORDER = "_dill_suite_recorder"


def _is_main_test(test):
    # __name__ == '__main__' (either order, either quote)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def _test_call_name(stmt):
    value = None
    if isinstance(stmt, ast.Expr):
        value = stmt.value
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        value = stmt.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and value.func.id.startswith("test_"):
        return value.func.id
    return None


class _Rewriter:
    def __init__(self):
        self.tests = []  # (index, name), in source order

    def wrap(self, stmt, name):
        index = len(self.tests)
        label = "%s#%d" % (name, index)
        self.tests.append(label)
        record = "__import__(%r).record(%r, %%s)" % (RECORDER, label)
        wrapper = ast.parse(
            "try:\n    pass\n"
            "except BaseException as _dill_suite_exc:\n    %s\n"
            "else:\n    %s\n" % (record % "_dill_suite_exc", record % "None")).body[0]
        wrapper.body = [stmt]
        return ast.copy_location(wrapper, stmt)

    def body(self, stmts):
        out = []
        for stmt in stmts:
            name = _test_call_name(stmt)
            if name is not None:
                out.append(self.wrap(stmt, name))
                continue
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(stmt, field, self.body(inner))
            if isinstance(stmt, ast.Try):
                for handler in stmt.handlers:
                    handler.body = self.body(handler.body)
            out.append(stmt)
        return out


def rewrite(tree):
    """Wrap the test calls of the plain ``__main__`` blocks; return the
    labels of the tests found."""
    rewriter = _Rewriter()
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
            stmt.body = rewriter.body(stmt.body)
    ast.fix_missing_locations(tree)
    return rewriter.tests


class Recorder(types.ModuleType):
    def __init__(self, out, labels, path=None):
        super().__init__(RECORDER)
        self.path = path
        self.out = out
        self.labels = labels
        self.outcomes = {}
        self.module_error = None

    def record(self, label, exc):
        if exc is None:
            self.outcomes[label] = ("passed", None)
        else:
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            # Where in the test file it failed (the innermost frame there).
            where = [fs for fs in traceback.extract_tb(exc.__traceback__)
                     if fs.filename == self.path]
            if where:
                text = "%s (line %d: %s)" % (text[-250:], where[-1].lineno,
                                             (where[-1].line or "").strip()[:80])
            self.outcomes[label] = ("failed", text[-400:])
        self.save()

    def save(self, final=False):
        rows = []
        for label in self.labels:
            if label in self.outcomes:
                outcome, error = self.outcomes[label]
            elif final:
                outcome, error = ("failed", self.module_error) if self.module_error else ("skipped", None)
            else:
                outcome, error = ("failed", "not run (the process died?)")
            rows.append([label, outcome, error])
        data = {"tests": rows, "module_error": self.module_error, "final": final}
        tmp = self.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self.out)


def main():
    path, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with open(path) as f:
        source = f.read()
    tree = ast.parse(source, path)
    labels = rewrite(tree)
    whole_file = not labels
    if whole_file:
        labels = ["(module)#0"]
    recorder = Recorder(out, labels, path)
    sys.modules[RECORDER] = recorder
    recorder.save()

    # Run the file as the __main__ script would.
    main_module = types.ModuleType("__main__")
    main_module.__file__ = path
    main_module.__builtins__ = __builtins__
    runner_main = sys.modules["__main__"]
    sys.modules["__main__"] = main_module
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path)
    code = compile(tree, path, "exec")
    try:
        exec(code, main_module.__dict__)
    except BaseException as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            pass
        else:
            recorder.module_error = "module: " + text[-300:]
            traceback.print_exc()
    if whole_file and recorder.module_error is None:
        recorder.outcomes[labels[0]] = ("passed", None)
    recorder.save(final=True)
    sys.modules["__main__"] = runner_main


if __name__ == "__main__":
    main()
