"""anethum.source: dill.source's API (getsource, getimport, importable...).

Most tests need no dill; the ``test_same_as_dill_*`` ones compare with
``dill.source`` and skip without it.  Lambdas sharing a line are told apart
with ``co_positions`` from 3.11 on; before, the whole line is their source,
as in dill.
"""
import inspect
import os
import pickle
import subprocess
import sys

import pytest

import anethum
from anethum import source
from anethum.source import (_wrap, dumpsource, findsource, getblocks,
                            getimport, getimportable, getname, getsource,
                            getsourcelines, importable, indent, isdynamic,
                            isfrommain, likely_import, outdent)

POSITIONS = sys.version_info >= (3, 11)
needs_positions = pytest.mark.skipif(not POSITIONS, reason="co_positions is new in 3.11")
before_positions = pytest.mark.skipif(POSITIONS, reason="3.11+ uses co_positions")

f = lambda x: x**2  # noqa: E731
def g(x): return f(x) - x  # noqa: E302,E704


def h(x):
  def g(x): return x  # noqa: E704
  return g(x) - x


class Foo(object):
  def bar(self, x):
    return x*x+x
_foo = Foo()  # noqa: E305


def add(x,y):
  return x+y


# yes, same as 'f', but things are tricky when it comes to pointers
squared = lambda x:x**2  # noqa: E731


class Bar:
  pass
_bar = Bar()  # noqa: E305

# several lambdas on one line, and other lambdas inside expressions
first, second = lambda x: x + 1, lambda y: y * 2
nest = lambda x: lambda y: x + y  # noqa: E731
table = dict(key=lambda a,
                        b: a + b)
pair = [lambda p: p, lambda: 0]; after = lambda q: q  # noqa: E702,E731


def outer(n):
    def inner(k):
        return k + n
    return inner


def make_lambdas():
    return [lambda u: u + 1, lambda v: v - 1]


class WithLambda(object):
    attr = lambda self: 1  # noqa: E731

    def method(self):
        return 2


class Decoyed(object):
    real = True


DECOY = """
class Decoyed:
    real = False
"""


class Pretty(object):
    def __init__(self, n=3):
        self.n = n

    def __repr__(self):
        return "Pretty(%d)" % self.n


# -- dill's own tests, on anethum.source --------------------------------------

def test_getsource():
    assert getsource(f) == 'f = lambda x: x**2  # noqa: E731\n'
    assert getsource(g) == 'def g(x): return f(x) - x  # noqa: E302,E704\n'
    assert getsource(h) == 'def h(x):\n  def g(x): return x  # noqa: E704\n  return g(x) - x\n'
    assert getname(f) == 'f'
    assert getname(g) == 'g'
    assert getname(h) == 'h'
    assert _wrap(f)(4) == 16
    assert _wrap(g)(4) == 12
    assert _wrap(h)(4) == 0

    assert getname(Foo) == 'Foo'
    assert getname(Bar) == 'Bar'
    assert getsource(Bar) == 'class Bar:\n  pass\n'
    assert getsource(Foo) == 'class Foo(object):\n  def bar(self, x):\n    return x*x+x\n'


def test_itself():
    assert getimport(getimport) == 'from anethum.source import getimport\n'


def test_builtin():
    assert getimport(pow) == 'pow\n'
    assert getimport(100) == '100\n'
    assert getimport(True) == 'True\n'
    assert getimport(pow, builtin=True) == 'from builtins import pow\n'
    assert getimport(100, builtin=True) == '100\n'
    assert getimport(True, builtin=True) == 'True\n'
    assert getimport(None) == 'None\n'
    assert getimport(None, builtin=True) == 'None\n'


def test_imported():
    from math import sin
    assert getimport(sin) == 'from math import sin\n'
    assert likely_import(sin) == 'from math import sin\n'
    assert getimport(sin, alias='s') == 'from math import sin as s\n'
    assert getimport(os.path.join) == 'from %s import join\n' % os.path.join.__module__


def test_dynamic():
    assert getimport(add) == 'from %s import add\n' % __name__
    assert getimport(squared) == 'from %s import squared\n' % __name__


def test_classes():
    from io import BytesIO as StringIO
    y = "from _io import BytesIO\n"
    x = y if sys.version_info >= (3, 10) else "from io import BytesIO\n"
    s = StringIO()
    assert getimport(StringIO) == x
    assert getimport(s) == y
    assert getimport(Foo) == 'from %s import Foo\n' % __name__
    assert getimport(_foo) == 'from %s import Foo\n' % __name__


def test_importable():
    assert importable(add, source=False) == 'from %s import add\n' % __name__
    assert importable(squared, source=False) == 'from %s import squared\n' % __name__
    assert importable(Foo, source=False) == 'from %s import Foo\n' % __name__
    assert importable(Foo.bar, source=False) == 'from %s import bar\n' % __name__
    assert importable(_foo.bar, source=False) == 'from %s import bar\n' % __name__
    assert importable(None, source=False) == 'None\n'
    assert importable(100, source=False) == '100\n'

    assert importable(add, source=True) == 'def add(x,y):\n  return x+y\n'
    assert importable(squared, source=True) == 'squared = lambda x:x**2  # noqa: E731\n'
    assert importable(None, source=True) == 'None\n'
    assert importable(Bar, source=True) == 'class Bar:\n  pass\n'
    assert importable(Foo, source=True) == \
        'class Foo(object):\n  def bar(self, x):\n    return x*x+x\n'
    assert importable(Foo.bar, source=True) == 'def bar(self, x):\n  return x*x+x\n'
    assert importable(Foo.bar, alias='memo', source=False) == \
        'from %s import bar as memo\n' % __name__
    assert importable(Foo, alias='memo', source=False) == 'from %s import Foo as memo\n' % __name__
    assert importable(squared, alias='memo', source=False) == \
        'from %s import squared as memo\n' % __name__
    assert importable(squared, alias='memo', source=True) == \
        'memo = squared = lambda x:x**2  # noqa: E731\n'
    assert importable(add, alias='memo', source=True) == \
        'def add(x,y):\n  return x+y\n\nmemo = add\n'
    assert importable(None, alias='memo', source=True) == 'memo = None\n'
    assert importable(100, alias='memo', source=True) == 'memo = 100\n'
    assert importable(add, builtin=True, source=False) == 'from %s import add\n' % __name__
    assert importable(None, builtin=True, source=False) == 'None\n'
    assert getimportable(add) == 'from %s import add\n' % __name__
    assert getimportable(add, byname=False) == 'def add(x,y):\n  return x+y\n'


def test_numpy():
    np = pytest.importorskip("numpy")
    y = np.array
    x = y([1, 2, 3])
    assert importable(x, source=False) == 'from numpy import array\narray([1, 2, 3])\n'
    assert importable(y, source=False) == 'from %s import array\n' % y.__module__
    assert importable(x, source=True) == 'from numpy import array\narray([1, 2, 3])\n'
    y = np.int64
    x = y(0)
    assert importable(x, source=False) == 'from numpy import int64\nint64(0)\n'
    assert importable(y, source=False) == 'from %s import int64\n' % y.__module__


def test_instance_without_repr_is_dumped():
    text = importable(_foo, source=True)
    assert text.startswith("import pickle\nclass Foo(object):\n  def bar(self, x):\n"
                           "    return x*x+x\npickle.loads(")
    # the embedded pickle is anethum's, for plain pickle.loads
    src = getsource(_bar)
    assert src.startswith("import pickle\n") and "pickle.loads(b" in src
    ns = {}
    exec(src.replace("import pickle\n", "import pickle\nresult = ", 0), ns)


def test_instance_with_repr():
    p = Pretty(5)
    text = getsource(p)
    assert text.startswith("class Pretty(object):\n")
    assert text.endswith("\nPretty(5)\n")
    assert getsource(p, alias="obj").endswith("\nobj = Pretty(5)\n")
    assert importable(p, source=False) == "from %s import Pretty\nPretty(5)\n" % __name__
    ns = {}
    exec(importable(p, source=False).replace("Pretty(5)", "obj = Pretty(5)"), ns)
    assert ns["obj"].n == 5


def test_safe():
    import abc
    obj = abc.ABC()
    obj.__class__.__name__ = "(abc' + print('foo')]) # "
    try:
        with pytest.raises(SyntaxError):
            getsource(obj, force=True)
    finally:
        obj.__class__.__name__ = "ABC"


def test_class_found_by_qualified_name():
    # dill takes the last 'class Decoyed' line in the file: the one in DECOY
    assert getsource(Decoyed) == 'class Decoyed(object):\n    real = True\n'

    class Decoyed2(object):
        inner = True
    assert getsource(Decoyed2) == \
        '    class Decoyed2(object):\n        inner = True\n'


# -- lambdas ---------------------------------------------------------------

@needs_positions
def test_shared_line_lambdas_exact():
    assert getsource(first) == 'lambda x: x + 1'
    assert getsource(second) == 'lambda y: y * 2'
    assert getname(first) == 'first'
    assert getname(second) == 'second'
    assert getsource(second, alias='memo') == 'memo = lambda y: y * 2\n'
    assert importable(second, source=True) == 'second = lambda y: y * 2\n'
    assert importable(second, source=False) == 'from %s import second\n' % __name__
    ns = {}
    exec(importable(second, source=True), ns)
    assert ns['second'](4) == 8
    lines, lnum = getsourcelines(second)
    assert lines == ['lambda y: y * 2'] and lnum == second.__code__.co_firstlineno - 1
    assert getblocks(second) == [['lambda y: y * 2']]


@before_positions
def test_shared_line_lambdas_by_line():
    line = 'first, second = lambda x: x + 1, lambda y: y * 2\n'
    assert getsource(first) == line
    assert getsource(second) == line


@needs_positions
def test_semicolon_and_list_lambdas():
    assert getsource(pair[0]) == 'lambda p: p'
    assert getsource(pair[1]) == 'lambda: 0'
    assert getsource(after) == 'lambda q: q'
    assert getname(pair[0]) is None  # not bound to a name in the source
    assert getsource(after, alias='a2') == 'a2 = lambda q: q\n'


@needs_positions
def test_nested_lambdas():
    assert getsource(nest) == 'nest = lambda x: lambda y: x + y  # noqa: E731\n'
    assert getsource(nest(1)) == 'lambda y: x + y'
    assert getname(nest) == 'nest'


@needs_positions
def test_multiline_lambda_in_call():
    func = table['key']
    text = getsource(func)
    assert text == 'lambda a,\n                        b: a + b'
    # outside its brackets it needs some, to be valid source
    aliased = getsource(func, alias='k')
    assert aliased == 'k = (lambda a,\n                        b: a + b)\n'
    ns = {}
    exec(aliased, ns)
    assert ns['k'](2, 3) == 5


@needs_positions
def test_lambdas_in_a_function():
    u, v = make_lambdas()
    assert getsource(u) == 'lambda u: u + 1'
    assert getsource(v) == 'lambda v: v - 1'
    assert getsource(v, enclosing=True) == \
        'def make_lambdas():\n    return [lambda u: u + 1, lambda v: v - 1]\n'


def test_lambda_as_class_attribute_and_method():
    assert getsource(WithLambda.attr) == '    attr = lambda self: 1  # noqa: E731\n'
    assert getsource(WithLambda().attr) == '    attr = lambda self: 1  # noqa: E731\n'
    assert getsource(WithLambda.attr, lstrip=True) == 'attr = lambda self: 1  # noqa: E731\n'
    assert getname(WithLambda.attr) == 'attr'


def test_lambda_in_exec_has_no_source():
    ns = {}
    exec("z = lambda: 1", ns)
    with pytest.raises((IOError, OSError, TypeError)):
        getsource(ns['z'])


# -- functions, classes, methods, closures -----------------------------------

def test_nested_functions():
    fn = outer(3)
    assert getsource(fn) == '    def inner(k):\n        return k + n\n'
    assert getsource(fn, lstrip=True) == 'def inner(k):\n    return k + n\n'
    assert getsource(fn, enclosing=True) == \
        'def outer(n):\n    def inner(k):\n        return k + n\n    return inner\n'
    src = importable(fn, source=True)
    assert 'n = 3' in src and 'def inner(k):' in src
    ns = {}
    exec(src, ns)
    assert ns['inner'](1) == 4
    assert getimport(fn, enclosing=True) == 'from %s import outer\n' % __name__


def test_methods():
    assert getsource(WithLambda.method) == '    def method(self):\n        return 2\n'
    assert getsource(WithLambda().method, lstrip=True) == 'def method(self):\n    return 2\n'
    assert getsource(WithLambda.method, alias='m').endswith('\nm = method\n')
    assert getname(WithLambda().method) == 'method'


def test_code_frame_traceback_module():
    assert getsource(add.__code__) == 'def add(x,y):\n  return x+y\n'
    frame = inspect.currentframe()
    assert getsource(frame).startswith('def test_code_frame_traceback_module():\n')
    try:
        raise ValueError
    except ValueError:
        tb = sys.exc_info()[2]
    assert getsource(tb).startswith('def test_code_frame_traceback_module():\n')
    module = sys.modules[__name__]
    lines, lnum = findsource(module)
    assert lnum == 0 and ''.join(lines).startswith('"""anethum.source')
    assert getsource(module) == ''.join(lines)


def test_builtins_raise_or_import():
    with pytest.raises(TypeError):
        getsource(len)
    assert getsource(len, force=True) == 'len\n'
    assert getsource(len, force=True, builtin=True) == 'from builtins import len\n'
    assert getsource(1, force=True) == '1\n'
    assert getsource(pickle.dumps, force=True) == 'from _pickle import dumps\n'


def test_getname():
    assert getname(add) == 'add'
    assert getname(squared) == 'squared'
    assert getname(Foo.bar) == 'bar'
    assert getname(sys) == 'sys'
    assert getname(1) is None
    assert getname(1, force=True) == '1'
    assert getname(add, fqn=True) == '%s.add' % __name__
    assert getname(Pretty(2), force=True) == 'Pretty(2)'


def test_indent_outdent():
    code = 'def f():\n    return 1\n'
    assert indent(code) == '    def f():\n        return 1\n'
    assert indent(code, '\t') == '\tdef f():\n\t    return 1\n'
    assert indent(code, 2) == '  def f():\n      return 1\n'
    assert outdent(indent(code)) == code
    assert outdent('    a\n      b', spaces=2) == '  a\n    b'
    assert outdent('    a\n    b', all=False) == 'a\n    b'


def test_isfrommain_isdynamic():
    assert not isfrommain(add)
    assert not isdynamic(add)
    import __main__
    assert isfrommain(__main__)


def test_dumpsource():
    obj = [1, {"a": (2, 3)}]
    code = dumpsource(obj, alias='result')
    assert 'import pickle' in code and 'anethum' not in code.split('loads(')[0]
    ns = {}
    exec(code, ns)
    assert ns['result'] == obj
    code = dumpsource(obj, alias='r2', enclose=False)
    assert code.startswith('import pickle\nr2 = pickle.loads(b')
    ns = {}
    exec(code, ns)
    assert ns['r2'] == obj
    code = dumpsource(Pretty(7), alias='p', new=True, enclose=False)
    assert 'class Pretty(object):' in code
    ns = {'__name__': __name__}
    exec(code, ns)
    assert ns['p'].n == 7


def test_docstrings_and_stub():
    for name in source.__all__:
        obj = getattr(source, name)
        if callable(obj):
            assert obj.__doc__, name
    stub = os.path.join(os.path.dirname(source.__file__), "source.pyi")
    if os.path.exists(stub):
        with open(stub, encoding="utf-8") as fh:
            text = fh.read()
        for name in source.__all__:
            assert "def %s(" % name in text, name


def test_available_as_attributes():
    assert anethum.source is source
    assert anethum.detect.__name__ == "anethum.detect"


# -- __main__ code, in a subprocess ---------------------------------------------

_ANETHUM_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))

SCRIPT = '''\
import json, sys
from anethum.source import getsource, importable, getname, getimport

f, g = lambda x: x + 1, lambda y: y * 2
sq = lambda x: x * x

def add(x, y):
    return x + y

def outer(n):
    def inner(k):
        return k + n
    return inner

class Spam:
    def bar(self):
        return 1

class Shown:
    def __init__(self, n):
        self.n = n
    def __repr__(self):
        return "Shown(%d)" % self.n

objs = {"f": f, "g": g, "sq": sq, "add": add, "inner": outer(2), "Spam": Spam,
        "bar": Spam.bar, "shown": Shown(4)}
out = {}
for name, obj in objs.items():
    out[name] = {"getsource": getsource(obj), "importable": importable(obj),
                 "getname": getname(obj, force=True)}
out["spam_instance"] = importable(Spam())
out["getimport_add"] = getimport(add)
json.dump(out, sys.stdout)
'''


def run_python(args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [_ANETHUM_PARENT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable] + args, cwd=str(cwd), env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_main_script(tmp_path):
    import json
    script = tmp_path / "script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    out = json.loads(run_python([str(script)], tmp_path))
    # objects of __main__ are shipped as source (importable's default)
    assert out["add"]["getsource"] == "def add(x, y):\n    return x + y\n"
    assert out["add"]["importable"] == "def add(x, y):\n    return x + y\n"
    assert out["sq"]["importable"] == "sq = lambda x: x * x\n"
    assert out["sq"]["getname"] == "sq"
    if POSITIONS:
        assert out["g"]["getsource"] == "lambda y: y * 2"
        assert out["g"]["importable"] == "g = lambda y: y * 2\n"
        assert out["f"]["importable"] == "f = lambda x: x + 1\n"
        assert out["g"]["getname"] == "g"
    else:
        assert out["g"]["getsource"] == "f, g = lambda x: x + 1, lambda y: y * 2\n"
    assert out["inner"]["importable"] == \
        "n = 2\n\ndef inner(k):\n    return k + n\n"
    assert out["Spam"]["importable"] == "class Spam:\n    def bar(self):\n        return 1\n"
    assert out["bar"]["importable"] == "def bar(self):\n    return 1\n"
    assert out["shown"]["getsource"].endswith("\nShown(4)\n")
    assert out["shown"]["getsource"].startswith("class Shown:\n")
    assert out["spam_instance"].startswith("import pickle\nclass Spam:\n")
    assert out["getimport_add"] == "from __main__ import add\n"
    # what importable gives runs in a fresh interpreter, without anethum
    ns = {}
    for name in ("add", "sq", "inner", "Spam", "g"):
        exec(out[name]["importable"], ns)
    assert ns["add"](1, 2) == 3 and ns["sq"](3) == 9 and ns["inner"](1) == 3
    assert ns["Spam"]().bar() == 1
    if POSITIONS:
        assert ns["g"](5) == 10


INTERACTIVE = '''\
import json, linecache, sys
import __main__
from anethum.source import getsource, importable, getname

# what the 3.13+ REPL (and IPython) do: each input is a linecache entry,
# and __main__ has no __file__
src = """\\
f, g = lambda x: x + 1, lambda y: y * 2
def add(x, y):
    return x + y
class Spam:
    def bar(self):
        return 1
"""
name = "<python-input-0>"
linecache.cache[name] = (len(src), None, src.splitlines(True), name)
assert not hasattr(__main__, "__file__")
exec(compile(src, name, "exec"), __main__.__dict__)
out = {n: [getsource(o), importable(o)] for n, o in
       [("f", f), ("g", g), ("add", add), ("Spam", Spam), ("bar", Spam.bar)]}
json.dump(out, sys.stdout)
'''


def test_interactive_code_from_linecache(tmp_path):
    import json
    out = json.loads(run_python(["-c", INTERACTIVE], tmp_path))
    assert out["add"] == ["def add(x, y):\n    return x + y\n"] * 2
    assert out["Spam"] == ["class Spam:\n    def bar(self):\n        return 1\n"] * 2
    assert out["bar"] == ["    def bar(self):\n        return 1\n",
                          "def bar(self):\n    return 1\n"]
    if POSITIONS:
        assert out["g"] == ["lambda y: y * 2", "g = lambda y: y * 2\n"]
        assert out["f"] == ["lambda x: x + 1", "f = lambda x: x + 1\n"]
    else:
        assert out["g"][0] == "f, g = lambda x: x + 1, lambda y: y * 2\n"


# -- same as dill -----------------------------------------------------------

def test_same_as_dill():
    dill_source = pytest.importorskip("dill.source")
    fn = outer(3)
    objs = [f, g, h, Foo, Bar, add, squared, Foo.bar, _foo.bar, WithLambda.attr,
            WithLambda.method, fn, nest, Pretty(2), None, 100, pow, os.path.join]
    for obj in objs:
        for kw in ({}, {"force": True}, {"lstrip": True}, {"alias": "memo"},
                   {"enclosing": True}):
            try:
                theirs = dill_source.getsource(obj, **kw)
            except Exception as exc:
                with pytest.raises(type(exc)):
                    getsource(obj, **kw)
                continue
            assert getsource(obj, **kw) == theirs, (obj, kw)
        for kw in ({}, {"source": True}, {"source": False}, {"alias": "memo"},
                   {"builtin": True, "source": False}):
            assert importable(obj, **kw) == dill_source.importable(obj, **kw), (obj, kw)
        assert getname(obj) == dill_source.getname(obj)
        assert getname(obj, force=True) == dill_source.getname(obj, force=True)
        if obj is not None and not isinstance(obj, int):
            assert getimport(obj) == dill_source.getimport(obj).replace("dill.", "anethum."), obj
        assert source._namespace(obj) == dill_source._namespace(obj)
        assert isfrommain(obj) == dill_source.isfrommain(obj)
        assert isdynamic(obj) == dill_source.isdynamic(obj)
    for obj in (f, h, Foo):
        assert getblocks(obj, locate=True) == dill_source.getblocks(obj, locate=True)
        assert findsource(obj) == dill_source.findsource(obj)
    assert indent("a\n b\n") == dill_source.indent("a\n b\n")
    assert outdent("  a\n   b\n") == dill_source.outdent("  a\n   b\n")


def test_same_as_dill_shared_line_differs():
    dill_source = pytest.importorskip("dill.source")
    assert dill_source.getsource(Decoyed) == 'class Decoyed:\n    real = False\n'

    line = 'first, second = lambda x: x + 1, lambda y: y * 2\n'
    assert dill_source.getsource(second) == line
    assert getsource(second) == ('lambda y: y * 2' if POSITIONS else line)


def test_same_api_as_dill():
    dill_source = pytest.importorskip("dill.source")
    assert set(dill_source.__all__) <= set(source.__all__)
    for name in dill_source.__all__:
        theirs = inspect.signature(getattr(dill_source, name)).parameters
        ours = inspect.signature(getattr(source, name)).parameters
        assert list(ours) == list(theirs), name


NO_RANGES = '''\
import json, sys
from anethum.source import getsource
f, g = lambda x: x + 1, lambda y: y * 2
a, b = lambda x: x + 1, lambda x: x * 2
json.dump([getsource(o) for o in (f, g, a, b)], sys.stdout)
'''


@needs_positions
def test_without_column_positions(tmp_path):
    # -X no_debug_ranges: co_positions has lines only; the lambdas of a line
    # are told apart by their arguments, else the whole line is given
    import json
    script = tmp_path / "no_ranges.py"
    script.write_text(NO_RANGES, encoding="utf-8")
    out = json.loads(run_python(["-X", "no_debug_ranges", str(script)], tmp_path))
    line = "a, b = lambda x: x + 1, lambda x: x * 2\n"
    assert out == ["lambda x: x + 1", "lambda y: y * 2", line, line]
