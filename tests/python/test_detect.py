"""anethum.detect: dill.detect's API on anethum's pickler.

Most tests need no dill; the ``test_same_as_dill_*`` ones compare with
``dill.detect`` and skip without it.
"""
import inspect
import io
import os
import pickle
import re
import sys
import threading
import types
import weakref

import pytest

import anethum
from anethum import detect
from anethum.detect import (at, baditems, badobjects, badtypes, children,
                            code, errors, freevars, getmodule, globalvars,
                            nestedcode, nestedglobals, outermost, parent,
                            parents, pickles, reference, referredglobals,
                            referrednested, varnames)

a, b, c = 1, 2, 3


def squared(x):
    return a + x ** 2


def foo(x):
    def bar(y):
        return squared(x) + y
    return bar


def ping(n):
    return pong(n - 1) if n else 0


def pong(n):
    return ping(n - 1) if n else 1


def uses_len(s):
    return len(s) + a


class _class:
    def _method(self):
        pass

    def ok(self):
        return True


class Holder(object):
    def __init__(self):
        self.lock = (i for i in range(1))  # unpicklable (locks pickle, as dill's do)
        self.number = 42


class NoEq(object):
    pass


class RaisesValueError(object):
    def __reduce__(self):
        raise ValueError("no reduction for you")


# -- bad things -------------------------------------------------------------

def test_bad_things_frame():
    f = inspect.currentframe()
    assert baditems(f) == [f]
    assert badobjects(f) is f
    assert badtypes(f) == type(f)
    assert type(errors(f)) is TypeError
    d = badtypes(f, 1)
    assert isinstance(d, dict)
    assert list(badobjects(f, 1).keys()) == list(d.keys())
    assert list(errors(f, 1).keys()) == list(d.keys())
    # the frame's own methods fail because their __self__ is the frame
    assert d["clear"] is types.BuiltinMethodType


def test_baditems_of_containers():
    lock = (i for i in range(1))
    f = inspect.currentframe()
    assert baditems([1, "x", lock, f, lambda: 0]) == [lock, f]
    assert baditems({"a": 1, "l": lock}) == [lock]
    assert baditems(1) == []
    assert baditems(f) == [f]  # not iterable: itself (a generator is iterated)


def test_badobjects_badtypes_errors_depth():
    h = Holder()
    assert badobjects(h) is h
    bad = badobjects(h, 1)
    # the lock, and what holds it: __dict__, the bound methods' __self__
    assert bad["lock"] is h.lock and bad["__dict__"] is h.__dict__
    assert "number" not in bad and "__class__" not in bad
    assert "__init__" in bad
    types_ = badtypes(h, 1)
    assert types_["lock"] is type(h.lock) and types_["__dict__"] is dict
    assert list(types_) == list(bad)
    errs = errors(h, 1)
    assert list(errs) == list(bad)
    assert isinstance(errs["lock"], TypeError)
    assert "generator" in str(errs["lock"])
    assert badobjects(42) is None and badtypes(42) is None
    assert errors(42) is None and errors(h, 0) is not None


def test_pickles_and_copy():
    assert pickles(lambda x: x + 1)  # by value, as anethum does
    assert pickles(foo(3))
    assert pickles([1, {"a": (2, 3)}], exact=True)
    assert not pickles(i for i in range(1))
    assert pickles(threading.Lock())  # as a new lock, as dill does
    assert pickles(NoEq())  # same type back
    assert not pickles(NoEq(), exact=True)  # ... but not equal
    assert pickles(NoEq(), protocol=0)
    with pytest.raises(ValueError):
        pickles(RaisesValueError())  # not a pickling error: propagates
    assert not pickles(RaisesValueError(), safe=True)
    assert detect.copy([1, 2]) == [1, 2]
    assert detect.copy(squared)(2) == 5


def test_errors_exact():
    err = errors(NoEq(), exact=True)
    assert isinstance(err, AssertionError)
    assert "Unpickling produces" in str(err)
    assert errors(NoEq()) is None
    assert isinstance(errors(RaisesValueError()), ValueError)


# -- code inspection --------------------------------------------------------

def test_globals():
    def f():
        a

        def g():
            b

            def h():
                c
    assert globalvars(f) == dict(a=1, b=2, c=3)

    res = globalvars(foo, recurse=True)
    assert set(res) == set(["squared", "a"])
    res = globalvars(foo, recurse=False)
    assert res == {}
    zap = foo(2)
    res = globalvars(zap, recurse=True)
    assert set(res) == set(["squared", "a"])
    res = globalvars(zap, recurse=False)
    assert set(res) == set(["squared"])
    del zap
    res = globalvars(squared)
    assert set(res) == set(["a"])
    assert globalvars(42) == {}


def test_globalvars_builtin_and_code():
    assert globalvars(uses_len) == {"a": 1}
    res = globalvars(uses_len, builtin=True)
    assert res["len"] is len and res["a"] == 1
    assert set(globalvars(uses_len.__code__, builtin=True)) == {"len"}
    assert set(globalvars(uses_len.__code__, recurse=False)) == set()
    assert set(referredglobals(uses_len)) == {"a"}
    assert set(referredglobals(foo, recurse=True)) == {"a", "squared"}


def test_globalvars_mutual_recursion():
    # dill.detect.globalvars recurses forever on these
    assert globalvars(ping) == {"ping": ping, "pong": pong}
    assert globalvars(pong) == {"ping": ping, "pong": pong}


def test_globalvars_methods_and_classes():
    assert globalvars(_class().ok) == {}
    assert globalvars(_class) == {}


def test_nestedglobals():
    assert set(nestedglobals(squared)) == {"a"}
    assert set(nestedglobals(foo)) == {"squared"}
    assert set(nestedglobals(foo, recurse=False)) == {"squared"}  # as dill
    assert set(nestedglobals(uses_len)) == {"len", "a"}
    assert nestedglobals(42) == []

    def stores():
        global a
        a = a + 1
        del globals()["zzz"]
    assert {"a", "globals"} <= set(nestedglobals(stores))


def test_freevars():
    bar = foo(5)
    assert freevars(bar) == {"x": 5}
    assert freevars(squared) == {}
    assert freevars(42) == {}

    def outer():
        late = 1

        def inner():
            return late, never
        if False:
            never = 2  # noqa: F841 (an empty cell)
        return inner
    assert freevars(outer()) == {"late": 1}

    class K(object):
        def m(self):
            return bar
    assert freevars(K().m) == {"bar": bar}


def test_varnames_code_nestedcode():
    assert varnames(foo) == (("x", "bar"), ("x",))
    assert varnames(squared) == (("x",), ())
    assert varnames(42) == ()
    assert code(foo) is foo.__code__
    assert code(_class().ok) is _class.ok.__code__
    assert code(foo.__code__) is foo.__code__
    frame = inspect.currentframe()
    assert code(frame) is frame.f_code
    try:
        raise ValueError
    except ValueError:
        tb = sys.exc_info()[2]
    assert code(tb) is test_varnames_code_nestedcode.__code__
    assert code(42) is None
    nested = nestedcode(foo)
    assert [co.co_name for co in nested] == ["bar"]

    def deep():
        def one():
            def two():
                pass
    assert sorted(co.co_name for co in nestedcode(deep)) == ["one", "two"]
    assert [co.co_name for co in nestedcode(deep, recurse=False)] == ["one"]
    assert nestedcode(42) == []


def test_referrednested():
    bar = foo(1)
    found = referrednested(foo)
    assert bar in found
    assert all(getattr(f, "__name__", None) == "bar" or
               getattr(getattr(f, "f_code", None), "co_name", None) == "bar"
               or getattr(f, "co_name", None) == "bar" for f in found)


def test_outermost():
    bar = foo(1)
    assert outermost(bar) is foo
    assert outermost(squared) is squared  # its own block (as dill)
    assert outermost(42) is None


def test_getmodule():
    assert getmodule(foo) is sys.modules[__name__]
    assert getmodule(inspect.getsource) is inspect
    assert getmodule(len) is sys.modules["builtins"]
    assert getmodule(1) is None
    assert getmodule(1, force=True) is None


# -- pointers ---------------------------------------------------------------

def test_parent_parents_children():
    x = [4, 5, 6, 7]
    listiter = iter(x)
    obj = parent(listiter, list)
    assert obj is x
    assert parent(obj, int) is x[-1]
    assert parent(obj, dict) is None
    chain = parents(listiter, list)
    assert chain[0] is listiter and chain[-1] is x
    holder = {"x": x}
    chain = children(x, dict, ignore=(globals(),))
    assert chain[-1] is x and chain[0] is holder


def test_at_and_reference():
    assert at(id(at)) is at
    assert at(id(None)) is None and at(id(True)) is True
    thing = Holder()
    assert at(id(thing)) is thing
    with pytest.raises(ReferenceError):
        at(id(thing) + 1)
    with pytest.raises(TypeError):
        at("not an address")
    assert at(id(squared), sys.modules[__name__]) is squared
    proxy = weakref.proxy(thing)
    assert reference(proxy) == id(thing)
    assert reference(thing) == id(thing)
    assert reference(5) == id(5)


# -- trace ------------------------------------------------------------------

LINE = re.compile(r"^(?P<indent>(?:[│ |] {3})*)(?P<branch>├── |└── |\|-- |`-- )?"
                  r"(?P<label>.*) \[(?P<size>\d+(?:\.\d)?) (?P<unit>B|KiB|MiB)\]$")


class Point(object):
    def __init__(self, x, y):
        self.x, self.y = x, y


class Rounded(float):
    """A size printed in KiB or MiB, to one decimal."""


def slack(size):
    return 0.05 * 1024 ** 2 if size >= 1 << 20 else 52 if isinstance(size, Rounded) else 0


def parse_trace(text):
    """[(depth, label, bytes)] and the header of a trace."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0]
    rows = []
    for line in lines[1:]:
        m = LINE.match(line)
        assert m, "not a trace line: %r" % line
        depth = len(m.group("indent")) // 4 + (1 if m.group("branch") else 0)
        size = float(m.group("size")) * {"B": 1, "KiB": 1024, "MiB": 1 << 20}[m.group("unit")]
        exact = m.group("unit") == "B"
        rows.append((depth, m.group("label"), size if exact else Rounded(size)))
    return header, rows


def check_tree(rows):
    """Depth goes down one level at a time; children fit in their parent."""
    assert rows[0][0] == 0 and all(depth >= 1 for depth, _, _ in rows[1:])
    for (d0, _, _), (d1, _, _) in zip(rows, rows[1:]):
        assert d1 <= d0 + 1
    for i, (depth, label, size) in enumerate(rows):
        kids = []
        for d, _, s in rows[i + 1:]:
            if d <= depth:
                break
            if d == depth + 1:
                kids.append(s)
        assert sum(kids) <= size + slack(size) + sum(slack(k) for k in kids), \
            (label, size, kids)


def trace_text(obj, protocol=None, **kw):
    out = io.StringIO()
    data = detect.trace_dumps(obj, protocol, file=out, **kw)
    return data, out.getvalue()


def test_trace_dumps_same_bytes(proto):
    shared = [1]
    objs = [{"a": 42, "b": {"x": None}}, [shared, shared, frozenset([1]), {1, 2}, b"xx",
                                          bytearray(b"y")],
            Point(1, 2), foo(1), lambda q: q, Holder().number, (1, (2, "s")), "text"]
    for obj in objs:
        data, text = trace_text(obj, proto)
        assert data == anethum.dumps(obj, proto)
        header, rows = parse_trace(text)
        check_tree(rows)
        assert header == "pickle: %d B, protocol %d" % (len(data), proto) \
            or header == "pickle: %.1f KiB, protocol %d" % (len(data) / 1024.0, proto)
        assert rows and rows[0][0] == 0  # one root


def test_trace_tree_structure_and_sizes(proto):
    obj = {"a": 42, "b": {"x": None}, "p": Point([1, 2], "y"), "l": [(1, 2), (3, 4)]}
    data, text = trace_text(obj, proto)
    header, rows = parse_trace(text)
    # the root is the dict, and every other line is a descendant
    assert rows[0][1].startswith("dict: {'a': 42")
    assert all(depth >= 1 for depth, _, _ in rows[1:])
    # depth goes down one level at a time
    for (d0, _, _), (d1, _, _) in zip(rows, rows[1:]):
        assert d1 <= d0 + 1
    # a child is never bigger than its parent
    stack = []
    for depth, label, size in rows:
        del stack[depth:]
        if stack:
            assert size <= stack[-1][1], (label, stack)
        stack.append((label, size))
    # the root's bytes: all but PROTO, FRAME and STOP
    overhead = 1 + (2 if proto >= 2 else 0) + (9 if proto >= 4 else 0)
    assert rows[0][2] == len(data) - overhead
    labels = [label for _, label, _ in rows]
    assert any(label.startswith("['b'] dict: {'x': None}") for label in labels)
    point = [row for row in rows if row[1].startswith("['p'] %s.Point: " % __name__)]
    assert len(point) == 1 and point[0][0] == 1
    assert any("type: <class '%s.Point'>" % __name__ in label for label in labels)
    assert any(label.startswith("['l'] list: [(1, 2), (3, 4)]") for label in labels)
    # atoms are folded into their parent
    assert not any(label.startswith("int: ") for label in labels)


def test_trace_exact_sizes_small():
    data, text = trace_text({"a": 42, "b": {"x": None}}, 4)
    assert text.splitlines() == [
        "pickle: 34 B, protocol 4",
        "dict: {'a': 42, 'b': {'x': None}} [22 B]",
        "└── ['b'] dict: {'x': None} [8 B]",
    ]


def test_trace_atoms_memo_and_ascii():
    shared = [7]
    data, text = trace_text([shared, shared, 5], 2, atoms=True)
    lines = text.splitlines()
    assert lines[1].startswith("list: [[7], [7], 5]")
    assert "├── list: [7] [" in lines[2]
    assert lines[3] == "│   └── int: 7 [2 B]"
    assert lines[4] == "├── list: [7] (memo) [2 B]"
    assert lines[5] == "└── int: 5 [2 B]"
    ascii_lines = detect.format_trace(data, ascii=True, atoms=True)
    assert ascii_lines[2].startswith("|-- ") and ascii_lines[-1].startswith("`-- ")
    assert all(ord(ch) < 128 for line in ascii_lines for ch in line)


def test_trace_by_value_function_and_class():
    def make():
        k = 10

        def add(v):
            return v + k
        return add
    data, text = trace_text({"f": make(), "cls": Point}, 5)
    header, rows = parse_trace(text)
    labels = [label for _, label, _ in rows]
    assert any(label.startswith("['f'] function: <function") for label in labels)
    assert any("code: <code object add" in label for label in labels)
    assert any("(global)" in label for label in labels)
    assert pickle.loads(data)["f"](1) == 11


def _set_state(obj, state):
    obj.__dict__.update(state)


class WithStateSetter(object):
    def __reduce__(self):
        return (NoEq, (), {"a": [1]}, None, None, _set_state)


def test_trace_state_setter_and_function_setstate():
    # both are written after their object, then POPped: they stay under it
    data, text = trace_text([WithStateSetter(), squared], 5)
    header, rows = parse_trace(text)
    check_tree(rows)
    setter = [i for i, r in enumerate(rows) if "reduce: %s._set_state(...)" % __name__ in r[1]]
    assert len(setter) == 1
    depth = rows[setter[0]][0]
    owner = [r for r in rows[:setter[0]] if r[0] == depth - 1][-1]
    assert owner[1].startswith("%s.NoEq: " % __name__) or "WithStateSetter" in owner[1]
    # a by-value function keeps its function_setstate call under it
    fs = [i for i, r in enumerate(rows)
          if "reduce: anethum.loaders.function_setstate(...)" in r[1]]
    for i in fs:
        parent_row = [r for r in rows[:i] if r[0] == rows[i][0] - 1][-1]
        assert parent_row[1].split(": ", 1)[0].endswith("function"), parent_row


def test_trace_on_off(capsys):
    original = anethum.dumps, anethum.dump
    assert not detect.tracing()
    assert detect.trace(True) is None
    try:
        assert detect.tracing()
        assert anethum.dumps is not original[0]
        data = anethum.dumps({"k": [1, 2]}, 3)
        buf = io.BytesIO()
        anethum.dump(Point(1, 2), buf, 4)
    finally:
        detect.trace(False)
    assert (anethum.dumps, anethum.dump) == original
    assert not detect.tracing()
    assert data == original[0]({"k": [1, 2]}, 3)
    assert buf.getvalue() == original[0](Point(1, 2), 4)
    err = capsys.readouterr().err
    assert "pickle: " in err and "dict: {'k': [1, 2]}" in err
    assert "['k'] list: [1, 2]" in err
    assert "%s.Point" % __name__ in err
    anethum.dumps([1])
    assert capsys.readouterr().err == ""


def test_trace_context_manager(tmp_path, capsys):
    out = io.StringIO()
    with detect.trace(out) as log:
        log("> D = %r", {"a": 1})
        anethum.dumps({"a": 1})
        log("plain text")
    assert not detect.tracing()
    text = out.getvalue()
    assert text.startswith("> D = {'a': 1}\npickle: ")
    assert text.endswith("plain text\n")
    path = tmp_path / "trace.txt"
    with detect.trace(str(path), mode="w"):
        anethum.dumps([[1]])
    with detect.trace(path):  # appends
        anethum.dumps((1, 2))
    written = path.read_text(encoding="utf-8")
    assert written.count("pickle: ") == 2
    assert "list: [[1]]" in written and "tuple: (1, 2)" in written
    with detect.trace():  # to stderr
        anethum.dumps({"z": 0})
    assert "dict: {'z': 0}" in capsys.readouterr().err
    assert not detect.tracing()


def test_trace_nested_context_keeps_outer_state():
    outer, inner = io.StringIO(), io.StringIO()
    with detect.trace(outer):
        with detect.trace(inner):
            anethum.dumps([2])
        anethum.dumps([1])
    assert "list: [2]" in inner.getvalue() and "list: [1]" not in inner.getvalue()
    assert "list: [1]" in outer.getvalue()
    assert not detect.tracing()


def test_trace_failing_pickle_prints_the_error_and_path():
    out = io.StringIO()
    with detect.trace(out):
        with pytest.raises(TypeError):
            anethum.dumps({"a": [1, (i for i in range(1))]})
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("pickle failed: TypeError: cannot pickle")
    assert "generator" in lines[0]
    if sys.version_info >= (3, 14):  # pickle's own notes (gh-122213)
        assert lines[1:3] == ["  when serializing list item 1", "  when serializing dict item 'a'"]
    elif sys.version_info >= (3, 11):  # anethum's path note
        assert lines[1].startswith("  when pickling <dict object at ")
        assert lines[1].endswith(": obj['a'][1]")


def test_format_trace_foreign_pickles():
    # INST, as Python 2's pickle wrote instances; nothing memoized here
    data = b"(i__main__\nK\n(dp0\nS'a'\np1\nI1\nsb."
    assert detect.format_trace(data) == [
        "pickle: 32 B, protocol 0",
        "instance: __main__.K(...) [31 B]",
        "\u2514\u2500\u2500 dict: 1 item [17 B]",
    ]
    assert detect.format_trace(b"\x80\x02cpickle\nPickleBuffer\nq\x00.") == [
        "pickle: 26 B, protocol 2", "global: pickle.PickleBuffer (global) [23 B]"]


def test_trace_out_of_band_buffers():
    buffers = []
    obj = {"pb": pickle.PickleBuffer(b"abc"), "n": [1]}
    data, text = trace_text(obj, 5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    assert "['pb'] buffer: out of band (buffer_callback) [2 B]" in text
    assert bytes(pickle.loads(data, buffers=buffers)["pb"]) == b"abc"


def test_format_trace_without_memo_and_big():
    data = anethum.dumps({"n": list(range(2000))}, 4)
    lines = detect.format_trace(data)
    assert lines[0].startswith("pickle: ") and "KiB" in lines[0]
    assert lines[1].startswith("EMPTY_DICT") or lines[1].startswith("dict")
    assert "KiB]" in lines[1]
    assert detect.format_trace(pickle.dumps(5, 0)) == ["pickle: 4 B, protocol 0", "int: 5 [3 B]"]


def test_trace_recursive_structures(proto):
    lst = [1]
    lst.append(lst)
    d = {}
    d["self"] = d
    t = (lst, 1)
    holder = [t]
    lst.append(holder)
    for obj in (lst, d, t):
        data, text = trace_text(obj, proto)
        header, rows = parse_trace(text)
        check_tree(rows)
        assert any("(memo)" in label for _, label, _ in rows)
        overhead = 1 + (2 if proto >= 2 else 0) + (9 if proto >= 4 else 0)
        assert rows[0][2] == len(data) - overhead


# -- same as dill -----------------------------------------------------------

def test_same_as_dill_code_inspection():
    dill_detect = pytest.importorskip("dill.detect")
    bar = foo(2)
    for func in (squared, foo, bar, uses_len, _class.ok, _class().ok):
        assert globalvars(func) == dill_detect.globalvars(func)
        assert globalvars(func, recurse=False) == dill_detect.globalvars(func, recurse=False)
        assert globalvars(func, builtin=True) == dill_detect.globalvars(func, builtin=True)
        assert set(referredglobals(func)) == set(dill_detect.referredglobals(func))
        assert set(nestedglobals(func)) == set(dill_detect.nestedglobals(func))
        assert set(nestedglobals(func, recurse=False)) == \
            set(dill_detect.nestedglobals(func, recurse=False))
        assert freevars(func) == dill_detect.freevars(func)
        assert varnames(func) == dill_detect.varnames(func)
        assert code(func) is dill_detect.code(func)
        assert set(nestedcode(func)) == set(dill_detect.nestedcode(func))
        assert outermost(func) is dill_detect.outermost(func)
        assert getmodule(func) is dill_detect.getmodule(func)
    assert set(referrednested(foo)) == set(dill_detect.referrednested(foo))


def test_same_as_dill_bad_things():
    dill_detect = pytest.importorskip("dill.detect")
    f = inspect.currentframe()
    h = Holder()
    gen = (i for i in range(3))
    things = [f, gen, 42, [1, 2], squared, h.number]
    for obj in things:
        assert badobjects(obj) is dill_detect.badobjects(obj)
        assert badtypes(obj) is dill_detect.badtypes(obj)
        assert type(errors(obj)) is type(dill_detect.errors(obj))
    assert baditems(things) == dill_detect.baditems(things)
    # dill pickles a module's globals dict (f_globals) by reference to the
    # module, and has its own rules for frame locals (a proxy from 3.13);
    # anethum pickles a dict by value, so the frame's globals fail
    skip = ("f_globals", "f_locals")
    for obj in (f, gen):
        ours = {k: type(v) for k, v in errors(obj, 1).items() if k not in skip}
        theirs = {k: type(v) for k, v in dill_detect.errors(obj, 1).items() if k not in skip}
        assert ours == theirs
        assert {k: v for k, v in badtypes(obj, 1).items() if k not in skip} == \
            {k: v for k, v in dill_detect.badtypes(obj, 1).items() if k not in skip}


def test_same_as_dill_pointers():
    dill_detect = pytest.importorskip("dill.detect")
    x = [4, 5, 6, 7]
    listiter = iter(x)
    assert parent(listiter, list) is dill_detect.parent(listiter, list) is x
    assert at(id(x)) is dill_detect.at(id(x))
    thing = Holder()
    proxy = weakref.proxy(thing)
    assert reference(proxy) == dill_detect.reference(proxy)


def test_same_api_as_dill():
    dill_detect = pytest.importorskip("dill.detect")
    assert set(dill_detect.__all__) <= set(detect.__all__)
    for name in dill_detect.__all__:
        ours = inspect.signature(getattr(detect, name)).parameters
        theirs = inspect.signature(getattr(dill_detect, name)).parameters
        assert list(theirs)[:len(ours)] == [p for p in ours if p in theirs], name


def test_docstrings():
    for name in detect.__all__:
        assert getattr(detect, name).__doc__, name
    stub = os.path.join(os.path.dirname(detect.__file__), "detect.pyi")
    if os.path.exists(stub):
        with open(stub, encoding="utf-8") as f:
            text = f.read()
        for name in detect.__all__:
            assert "def %s(" % name in text, name


# -- trace on generated object graphs ---------------------------------------

try:
    from hypothesis import given, settings
    import strategies
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    import pickletools

    @settings(max_examples=60, deadline=None)
    @given(strategies.graphs)
    def test_trace_generated_graphs(obj):
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            try:
                expected = anethum.dumps(obj, proto)
            except Exception as exc:
                with pytest.raises(type(exc)):
                    trace_text(obj, proto)
                continue
            data, text = trace_text(obj, proto, atoms=True)
            assert data == expected
            header, rows = parse_trace(text)
            check_tree(rows)
            ops = list(pickletools.genops(data))
            overhead = len(data) - ops[-1][2]  # STOP
            for i, (op, arg, pos) in enumerate(ops):
                if op.name in ("PROTO", "FRAME"):
                    overhead += ops[i + 1][2] - pos
            root = rows[0][2]
            assert abs(root - (len(data) - overhead)) <= slack(root)
