"""Adversarial graphs: garbage reductions, graphs that change while they
are pickled, keys that don't order, 100k-deep nesting, self-reference.

Pass: no crash, and either the pickle loads (and equals or behaves like
the original) or an ordinary exception comes out (TypeError,
PicklingError, ValueError, RecursionError, RuntimeError... as pickle
raises).  Where pickle can pickle the graph: the same bytes, or the same
exception type.
"""
import copyreg
import io
import os
import pickle
import subprocess
import sys
import time
import types

import pytest
from hypothesis import given, settings, strategies as st

import anethum
import soak_knob

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOLS = tuple(range(pickle.HIGHEST_PROTOCOL + 1))
ORDINARY = (TypeError, pickle.PicklingError, ValueError, RecursionError,
            RuntimeError, AttributeError, KeyError, IndexError,
            OverflowError)
COUNTS = {"examples": 0}


def budget(short):
    """``short`` hypothesis examples in CI; in a soak, rounds of random
    examples until ANETHUM_SOAK_SECONDS have passed."""
    def decorate(test):
        if not soak_knob.soaking():
            return settings(max_examples=short, deadline=None,
                            database=None)(test)
        inner = settings(max_examples=short, deadline=None, database=None,
                         derandomize=False)(test)

        def soak():
            stop = soak_knob.deadline(0)
            while time.monotonic() < stop:
                inner()
        soak.__name__, soak.__doc__ = test.__name__, test.__doc__
        return soak
    return decorate


def outcome(call):
    try:
        return "ok", call()
    except ORDINARY as exc:
        assert str(exc) or isinstance(exc, (KeyError, StopIteration)), (
            "empty message on %r" % (type(exc),))
        return "raise", type(exc)


def same_as_pickle(make, proto, by_value=False):
    """pickle and anethum on fresh copies of the graph: same bytes or the
    same exception type.  Returns anethum's outcome."""
    expected = outcome(lambda: pickle.dumps(make(), proto))
    actual = outcome(lambda: anethum.dumps(make(), proto, by_value=by_value))
    if expected[0] == "raise" or actual[0] == "raise":
        # pickle.PicklingError and its subclasses count as one kind.
        kinds = [k if k[0] == "ok" else ("raise", base_kind(k[1]))
                 for k in (expected, actual)]
        assert kinds[0] == kinds[1], "pickle: %r, anethum: %r" % (
            expected, actual)
    else:
        assert expected[1] == actual[1], "bytes differ at protocol %d" % proto
    return actual


def base_kind(exc_type):
    if issubclass(exc_type, pickle.PicklingError):
        return pickle.PicklingError
    if issubclass(exc_type, RecursionError):
        return RecursionError
    return exc_type


def no_crash(make, proto, check=None):
    """By value: loads (and passes ``check``), or an ordinary exception."""
    kind, result = outcome(lambda: anethum.dumps(make(), proto))
    if kind == "ok":
        loaded = pickle.loads(result)
        if check is not None:
            check(loaded)
    return kind


# ---------------------------------------------------------------------------
# Garbage reductions.
# ---------------------------------------------------------------------------

class Target:
    """Whatever its reducer was told to return."""

    def __init__(self, spec=None):
        self.spec = spec

    def __eq__(self, other):
        return isinstance(other, Target)

    __hash__ = object.__hash__


class ViaReduce(Target):
    def __reduce__(self):
        return materialize(self.spec)


class ViaReduceEx(Target):
    def __reduce_ex__(self, protocol):
        return materialize(self.spec)


class ViaGetstate(Target):
    def __getstate__(self):
        return materialize(self.spec)

    def __setstate__(self, state):
        pass


class NotAnIterator:
    def __len__(self):
        return 2


class Opaque:
    """No __reduce__ surprises, just not picklable by value or reference
    in a useful way: pickles as a plain instance."""

    def __eq__(self, other):
        return isinstance(other, Opaque)

    __hash__ = object.__hash__


def raising_iter(items, after):
    for i, item in enumerate(items):
        if i == after:
            raise ValueError("iterator failed after %d" % after)
        yield item


def set_state(obj, state):
    obj.state = state


# A spec is plain data (so hypothesis can shrink and print it); each dump
# materializes a fresh reduce value from it (iterators are single use).
ATOMS = st.sampled_from([
    ("int", 42), ("none",), ("str", "Target"), ("str", "no_such_global"),
    ("list-callable",), ("target-class",), ("print",), ("lambda",),
    ("opaque",), ("tuple", ()), ("dict", {}), ("float", 1.5),
    ("newobj",), ("newobj-ex",), ("set-state",), ("not-iter",),
])


def items_spec():
    pair = st.tuples(st.integers(0, 3), st.integers(0, 3))
    return st.one_of(
        st.builds(lambda xs: ("iter", xs), st.lists(st.integers(0, 9),
                                                     max_size=5)),
        st.builds(lambda xs: ("iter-pairs", xs), st.lists(pair, max_size=5)),
        st.builds(lambda xs, k: ("iter-raising", xs, k),
                  st.lists(pair, min_size=1, max_size=5), st.integers(0, 4)),
        st.builds(lambda xs: ("iter-triples", xs),
                  st.lists(st.tuples(st.integers(), st.integers(),
                                     st.integers()), min_size=1, max_size=3)),
        st.just(("list", [1, 2])), st.just(("not-iter",)),
        st.just(("dict", {1: 2})), st.just(("none",)))


def reduce_spec():
    part = st.one_of(ATOMS, items_spec(),
                     st.builds(lambda xs: ("args", xs),
                               st.lists(ATOMS, max_size=3)))
    return st.one_of(
        ATOMS,
        st.builds(lambda xs: ("reduce",) + tuple(xs),
                  st.lists(part, min_size=0, max_size=7)))


def materialize(spec):
    tag = spec[0]
    if tag == "int":
        return spec[1]
    if tag == "none":
        return None
    if tag == "str":
        return spec[1]
    if tag == "list-callable":
        return list
    if tag == "target-class":
        return Opaque
    if tag == "print":
        return print
    if tag == "lambda":
        return lambda *args: None
    if tag == "opaque":
        return Opaque()
    if tag == "tuple":
        return tuple(spec[1])
    if tag == "dict":
        return dict(spec[1])
    if tag == "float":
        return spec[1]
    if tag == "newobj":
        return copyreg.__newobj__
    if tag == "newobj-ex":
        return copyreg.__newobj_ex__
    if tag == "set-state":
        return set_state
    if tag == "not-iter":
        return NotAnIterator()
    if tag == "iter":
        return iter(list(spec[1]))
    if tag == "iter-pairs":
        return iter(list(spec[1]))
    if tag == "iter-raising":
        return raising_iter(list(spec[1]), spec[2])
    if tag == "iter-triples":
        return iter(list(spec[1]))
    if tag == "list":
        return list(spec[1])
    if tag == "args":
        return tuple(materialize(s) for s in spec[1])
    if tag == "reduce":
        return tuple(materialize(s) for s in spec[1:])
    raise AssertionError(spec)


REDUCERS = {"__reduce__": ViaReduce, "__reduce_ex__": ViaReduceEx,
            "__getstate__": ViaGetstate}


class OverridePickler(anethum.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Target):
            return materialize(obj.spec)
        return NotImplemented


class OverridePicklerStd(pickle.Pickler):
    reducer_override = OverridePickler.reducer_override


def uses_lambda(spec):
    return isinstance(spec, tuple) and any(
        s == "lambda" or uses_lambda(s) for s in spec)


@budget(300)
@given(spec=reduce_spec(), how=st.sampled_from(sorted(REDUCERS)),
       proto=st.sampled_from(PROTOCOLS))
def test_garbage_reductions(spec, how, proto):
    COUNTS["examples"] += 1
    cls = REDUCERS[how]

    def make():
        return [cls(spec), "after"]
    if not uses_lambda(spec):
        same_as_pickle(make, proto)
    no_crash(make, proto)


@budget(150)
@given(spec=reduce_spec(), proto=st.sampled_from(PROTOCOLS))
def test_garbage_from_reducer_override(spec, proto):
    COUNTS["examples"] += 1

    def run(cls):
        f = io.BytesIO()
        cls(f, proto, **({"by_value": False}
                         if cls is OverridePickler else {})).dump(
            [Target(spec), 1])
        return f.getvalue()
    if not uses_lambda(spec):
        expected = outcome(lambda: run(OverridePicklerStd))
        actual = outcome(lambda: run(OverridePickler))
        assert (expected[0], base_kind(expected[1]) if expected[0] == "raise"
                else expected[1]) == (
            actual[0], base_kind(actual[1]) if actual[0] == "raise"
            else actual[1])
    outcome(lambda: OverridePickler(io.BytesIO(), proto).dump([Target(spec)]))


# ---------------------------------------------------------------------------
# Graphs that change while they are pickled.
# ---------------------------------------------------------------------------

class Mutate:
    """Runs ``ops`` on its target when reduced (or asked for its state)."""

    def __init__(self, target, ops, via="reduce"):
        self.target, self.ops, self.via = target, ops, via

    def __reduce__(self):
        apply_ops(self.target, self.ops)
        return (Opaque, ())


def apply_ops(target, ops):
    for op, arg in ops:
        try:
            if isinstance(target, list):
                if op == "add":
                    target.extend(range(arg))
                elif op == "remove":
                    del target[:arg]
                else:
                    target.clear()
            elif isinstance(target, dict):
                if op == "add":
                    for i in range(arg):
                        target["new%d-%d" % (len(target), i)] = i
                elif op == "remove":
                    for key in list(target)[:arg]:
                        del target[key]
                else:
                    target.clear()
            elif isinstance(target, set):
                if op == "add":
                    target.update(range(len(target), len(target) + arg))
                elif op == "remove":
                    for item in list(target)[:arg]:
                        target.discard(item)
                else:
                    target.clear()
            elif isinstance(target, type):
                if op == "add":
                    for i in range(arg):
                        setattr(target, "attr%d" % i, [i])
                elif op == "remove":
                    for name in [n for n in list(vars(target))
                                 if n.startswith(("attr", "m"))][:arg]:
                        delattr(target, name)
                else:
                    target.shared = target
            elif isinstance(target, types.FunctionType):
                g = target.__globals__
                if op == "add":
                    for i in range(arg):
                        g["glob%d" % i] = [i]
                elif op == "remove":
                    for name in [n for n in list(g)
                                 if n.startswith("glob")][:arg]:
                        del g[name]
                else:
                    target.__code__ = (lambda: glob0).__code__  # noqa: F821
        except (KeyError, AttributeError, TypeError):
            pass


OPS = st.lists(st.tuples(st.sampled_from(["add", "remove", "clear"]),
                         st.sampled_from([0, 1, 5, 1500])),
               min_size=1, max_size=3)


def mutating_container(kind, ops, size, position):
    if kind == "list":
        target = list(range(size))
        target.insert(min(position, len(target)), Mutate(target, ops))
    elif kind == "dict":
        target = {"k%d" % i: i for i in range(size)}
        target["mutator"] = Mutate(target, ops)
    else:
        target = set(range(size))
        target.add(Mutate(target, ops))
    return target


@budget(200)
@given(kind=st.sampled_from(["list", "dict", "set"]), ops=OPS,
       size=st.sampled_from([0, 1, 3, 999, 1001]),
       position=st.integers(0, 1001), proto=st.sampled_from(PROTOCOLS))
def test_containers_mutated_mid_dump(kind, ops, size, position, proto):
    COUNTS["examples"] += 1
    same_as_pickle(lambda: mutating_container(kind, ops, size, position),
                   proto)


def mutating_class(ops):
    ns = {"m%d" % i: i for i in range(5)}
    cls = type("Mutated", (), ns)
    cls.mutator = Mutate(cls, ops)
    for i in range(3):
        setattr(cls, "z%d" % i, Mutate(cls, ops))
    return cls


def mutating_function(ops):
    g = {"__name__": "dynamic_module_for_test", "glob0": 0}
    exec("def f():\n    return glob0, glob1, glob2, mutator, other\n", g)
    f = g["f"]
    g["mutator"] = Mutate(f, ops)
    g["other"] = Mutate(f, ops)
    g["glob1"] = [Mutate(f, ops)]
    return f


class StateMutator:
    """``__getstate__`` that changes the object's own class and dict."""

    def __init__(self, ops):
        self.ops = ops
        self.items = list(range(5))

    def __getstate__(self):
        apply_ops(self.items, self.ops)
        apply_ops(self.__dict__, self.ops)
        apply_ops(type(self), self.ops)
        return self.__dict__


@budget(150)
@given(what=st.sampled_from(["class", "function", "getstate"]), ops=OPS,
       proto=st.sampled_from(PROTOCOLS))
def test_by_value_mutated_mid_dump(what, ops, proto):
    COUNTS["examples"] += 1
    if what == "class":
        no_crash(lambda: mutating_class(ops), proto)
    elif what == "function":
        no_crash(lambda: mutating_function(ops), proto)
    else:
        def make():
            cls = type("Holder", (StateMutator,), {})
            return [cls(ops), cls(ops)]
        no_crash(make, proto)


# ---------------------------------------------------------------------------
# Keys of mixed types, and keys that don't order.
# ---------------------------------------------------------------------------

class Unordered:
    def __init__(self, n):
        self.n = n

    def __hash__(self):
        return self.n

    def __eq__(self, other):
        return isinstance(other, Unordered) and other.n == self.n

    def __lt__(self, other):
        raise TypeError("Unordered can't be ordered")


class StrKey(str):
    def __lt__(self, other):
        raise TypeError("no ordering for StrKey")

    def __reduce__(self):
        return (StrKey, (str(self),))


KEYS = st.one_of(
    st.integers(-3, 3), st.text(max_size=3), st.none(), st.booleans(),
    st.floats(allow_nan=False), st.tuples(st.integers(0, 2)),
    st.frozensets(st.integers(0, 3), max_size=2),
    st.builds(Unordered, st.integers(0, 5)),
    st.builds(StrKey, st.text(min_size=1, max_size=3)),
    st.binary(max_size=2))


@budget(200)
@given(keys=st.lists(KEYS, max_size=12), proto=st.sampled_from(PROTOCOLS))
def test_mixed_dict_keys(keys, proto):
    COUNTS["examples"] += 1

    def make():
        return [{k: i for i, k in enumerate(keys)}, set(k for k in keys),
                frozenset(keys)]
    same_as_pickle(make, proto)
    kind, result = outcome(lambda: anethum.dumps(make(), proto))
    if kind == "ok":
        assert pickle.loads(result) == make()


@budget(150)
@given(keys=st.lists(st.one_of(st.text(min_size=1, max_size=4),
                               st.builds(StrKey, st.text(min_size=1,
                                                         max_size=3)),
                               st.integers(), st.builds(Unordered,
                                                        st.integers(0, 5)),
                               st.tuples(st.integers(0, 2))),
                     max_size=10),
       proto=st.sampled_from((2, 3, 4, 5)))
def test_class_dict_keys_mixed(keys, proto):
    COUNTS["examples"] += 1
    ns = {}
    for i, k in enumerate(keys):
        ns[k] = i
    try:
        cls = type("MixedKeys", (), ns)
    except TypeError:
        return

    def check(loaded):
        want = {k for k in vars(cls) if isinstance(k, str)}
        got = {k for k in vars(loaded) if isinstance(k, str)}
        assert want == got
    no_crash(lambda: cls, proto, check)


# ---------------------------------------------------------------------------
# 100k-deep nesting, in a subprocess so a stack overflow shows as a signal.
# ---------------------------------------------------------------------------

def run_deep(kind, depth, limit=None):
    args = [sys.executable, os.path.join(HERE, "adversarial_deep.py"), kind,
            str(depth)] + ([str(limit)] if limit else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600,
                          cwd=HERE)
    return proc.returncode, proc.stdout.splitlines(), proc.stderr[-3000:]


DEEP_OK = ("ok", "ok-load-RecursionError", "RecursionError", "MemoryError",
           "PicklingError", "TypeError", "ValueError")


@pytest.mark.parametrize("limit", [None, 10 ** 6], ids=["limit", "raised"])
@pytest.mark.parametrize("kind", ["closure", "class-attr", "mixed", "list",
                                  "dict", "tuple"])
def test_deep_nesting(kind, limit):
    depth = 100_000 if kind != "class-attr" else 20_000
    rc, lines, err = run_deep(kind, depth, limit)
    assert rc == 0, "exit %d\n%s" % (rc, err)
    assert len(lines) == 6, err
    for line in lines:
        assert line.split()[1] in DEEP_OK, line


def test_picklebuffer_released_by_callback():
    rc, lines, err = run_deep("picklebuffer-released", 0)
    assert rc == 0, "exit %d\n%s" % (rc, err)
    assert [line.split()[1] for line in lines] == ["ok"] * 6


# ---------------------------------------------------------------------------
# Modules, classes and functions that refer to themselves.
# ---------------------------------------------------------------------------

def self_class():
    cls = type("SelfRef", (), {})
    cls.me = cls
    cls.many = [cls, (cls, {"c": cls})]

    def method(self):
        return type(self).me
    cls.method = method
    return cls


def self_module():
    mod = types.ModuleType("anethum_self_module")
    mod.me = mod
    mod.box = [mod, {"m": mod}]
    exec("def f():\n    return me\n", mod.__dict__)
    return mod


def self_function():
    g = {"__name__": "self_function_module"}
    exec("def f(n):\n    return f if n == 0 else f(n - 1)\n", g)
    return g["f"]


def self_closure():
    def outer():
        def f(n):
            return f if n == 0 else f(n - 1)
        return f
    return outer()


def check_class(loaded):
    assert loaded.me is loaded
    assert loaded.many[0] is loaded and loaded.many[1][1]["c"] is loaded
    assert loaded().method() is loaded


def check_module(loaded):
    assert loaded.me is loaded
    assert loaded.box[0] is loaded and loaded.box[1]["m"] is loaded
    assert loaded.f() is loaded


def check_function(loaded):
    assert loaded(3) is loaded


SELF_REF = {"class": (self_class, check_class),
            "module": (self_module, check_module),
            "function": (self_function, check_function),
            "closure": (self_closure, check_function)}


@pytest.mark.parametrize("name", sorted(SELF_REF))
def test_self_reference(name, proto):
    make, check = SELF_REF[name]
    if name == "class" and proto < 2:
        pytest.skip("instances of by-value classes need protocol 2")
    kind = no_crash(make, proto, check)
    if name == "module":
        # A dynamic module goes as dynamic_subimport(name, its dict), as in
        # cloudpickle: holding itself, it can't be memoized before its dict
        # is saved, so this is a RecursionError (PicklingRecursionError).
        assert kind == "ok" or recursion_error(make, proto)
        return
    assert kind == "ok"
    # Pickled twice in one pickle, and inside each other.
    obj = make()
    data = anethum.dumps([obj, obj, {"again": obj}], proto)
    first, second, third = pickle.loads(data)
    assert first is second is third["again"]
    check(first)


def recursion_error(make, proto):
    with pytest.raises(RecursionError):
        anethum.dumps(make(), proto)
    return True


@pytest.fixture(params=PROTOCOLS, ids=lambda p: "p%d" % p)
def proto(request):
    return request.param


def test_counts_reported():
    print("adversarial examples: %(examples)d" % COUNTS)
