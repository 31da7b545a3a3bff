"""anethum pickles by value the functions pickle refuses: lambdas, closures,
nested and recursive functions. Loaded with plain pickle.loads."""
import functools
import math
import os
import pickle
import sys
import xml.etree.ElementTree  # noqa: F401 -- used as xml.etree.ElementTree.x

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import (  # noqa: E402
    PROTOCOLS, anethum_only, dis_text, dumps, globals_in_pickle, roundtrip,
    roundtrip_in_subprocess)


UNUSED_GLOBAL_MARKER = "unused-global-marker-5f2c"
USED_GLOBAL = 7

square = lambda x: x * x  # noqa: E731 -- a module-level lambda: not found by name
uses_globals = lambda x: math.sqrt(x) + USED_GLOBAL  # noqa: E731


def make_adder(n):
    def add(x):
        return x + n
    return add


def make_three(a, b, c):
    def f(x):
        return (a * x + b) * c
    return f


def make_fact():
    def fact(n):
        return 1 if n <= 1 else n * fact(n - 1)
    return fact


def make_even_odd():
    def is_even(n):
        return True if n == 0 else is_odd(n - 1)

    def is_odd(n):
        return False if n == 0 else is_even(n - 1)
    return is_even, is_odd


def make_with_empty_cell():
    def g():
        return later  # noqa: F821
    if False:
        later = 1
    return g


def make_decorated():
    def f(a, b=2, *args, c, d=4, **kw) -> float:
        """The doc of f."""
        return (a, b, args, c, d, kw)
    f.__annotations__["a"] = int
    f.custom = {"k": [1, 2]}
    f.__module__ = "some.other.module"
    f.__qualname__ = "Renamed.f"
    return f


def test_lambda(protocol):
    f = roundtrip(lambda x, y=3: x * y + 1, protocol)
    assert f(2) == 7 and f(2, 5) == 11
    assert roundtrip(square, protocol)(9) == 81


def test_lambda_uses_module_and_global(protocol):
    f = roundtrip(uses_globals, protocol)
    assert f(16) == 4 + USED_GLOBAL
    assert f.__globals__["math"] is math


def test_closure(protocol):
    add5 = roundtrip(make_adder(5), protocol)
    assert add5(1) == 6
    assert add5.__closure__[0].cell_contents == 5


def test_closure_three_variables(protocol):
    f = roundtrip(make_three(2, 3, 4), protocol)
    assert f(1) == 20
    assert [c.cell_contents for c in f.__closure__] == [2, 3, 4]


def test_recursive_nested_function(protocol):
    fact = roundtrip(make_fact(), protocol)
    assert fact(6) == 720
    assert fact.__closure__[0].cell_contents is fact


def test_mutually_recursive_nested_functions(protocol):
    is_even, is_odd = roundtrip(make_even_odd(), protocol)
    assert is_even(10) and is_odd(7) and not is_even(3)
    # one pickle: the pair shares its cells' targets
    assert is_even.__closure__[0].cell_contents is is_odd
    assert is_odd.__closure__[0].cell_contents is is_even
    # only one of the pair pickled still brings the other along
    even_only = roundtrip(make_even_odd()[0], protocol)
    assert even_only(4)


def test_empty_cell(protocol):
    g = roundtrip(make_with_empty_cell(), protocol)
    with pytest.raises(NameError):
        g()


def test_function_attributes_kept(protocol):
    f = make_decorated()
    g = roundtrip(f, protocol)
    assert g(1, c=3) == (1, 2, (), 3, 4, {})
    assert g(1, 5, 6, c=3, e=9) == (1, 5, (6,), 3, 4, {"e": 9})
    assert g.__defaults__ == (2,)
    assert g.__kwdefaults__ == {"d": 4}
    assert g.__annotations__ == {"return": float, "a": int}
    assert g.custom == {"k": [1, 2]}
    assert g.__doc__ == "The doc of f."
    assert g.__module__ == "some.other.module"
    assert g.__qualname__ == "Renamed.f"
    assert g.__name__ == "f"


def test_only_used_globals_shipped(protocol):
    f = lambda: USED_GLOBAL  # noqa: E731
    data = dumps(f, protocol)
    assert UNUSED_GLOBAL_MARKER.encode() not in data
    text = dis_text(data)
    assert "UNUSED_GLOBAL_MARKER" not in text
    assert "unused-global-marker" not in text
    assert "USED_GLOBAL" in text
    g = pickle.loads(data)
    assert g() == USED_GLOBAL
    assert "UNUSED_GLOBAL_MARKER" not in g.__globals__
    assert "make_adder" not in g.__globals__


def test_globals_of_nested_code_shipped(protocol):
    def outer():
        def inner():
            return USED_GLOBAL * 2
        return inner()
    assert roundtrip(outer, protocol)() == 2 * USED_GLOBAL


def test_functions_share_globals(protocol):
    ns = {"__name__": "dyn_namespace_mod", "X": 1}
    exec("def get_x():\n    return X\n"
         "def set_x(v):\n    global X\n    X = v\n", ns)
    get_x, set_x = roundtrip((ns["get_x"], ns["set_x"]), protocol)
    assert get_x.__globals__ is set_x.__globals__
    assert get_x() == 1
    set_x(42)
    assert get_x() == 42
    assert ns["X"] == 1  # the original namespace is untouched


def test_global_written_not_read(protocol):
    ns = {"__name__": "dyn_namespace_mod2", "COUNTER": 0}
    exec("def bump():\n    global COUNTER\n    COUNTER = 99\n", ns)
    bump = roundtrip(ns["bump"], protocol)
    bump()
    assert bump.__globals__["COUNTER"] == 99


def test_partial_of_lambda(protocol):
    p = roundtrip(functools.partial(lambda x, y, z=0: x * 10 + y + z, 4, z=100), protocol)
    assert isinstance(p, functools.partial)
    assert p(2) == 142


def test_builtin_function_by_reference(protocol):
    assert roundtrip(len, protocol) is len
    assert dumps(len, protocol) == pickle.dumps(len, protocol)
    assert roundtrip(math.sqrt, protocol) is math.sqrt


def test_importable_function_by_reference(protocol):
    assert roundtrip(os.path.join, protocol) is os.path.join
    assert dumps(os.path.join, protocol) == pickle.dumps(os.path.join, protocol)


def test_deterministic(protocol):
    f = make_three(1, 2, 3)
    assert dumps(f, protocol) == dumps(f, protocol)
    assert dumps(make_fact(), protocol) == dumps(make_fact(), protocol)


def test_submodule_attribute_access(protocol):
    f = lambda s: xml.etree.ElementTree.fromstring(s).tag  # noqa: E731
    assert roundtrip(f, protocol)("<root/>") == "root"
    roundtrip_in_subprocess(f, """
        assert "xml.etree.ElementTree" not in _pre_modules
        assert obj("<a><b/></a>") == "a"
    """, protocol)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_functions_in_subprocess(protocol):
    is_even, is_odd = make_even_odd()
    payload = {
        "lambda": lambda x: x + 1,
        "three": make_three(2, 3, 4),
        "fact": make_fact(),
        "even": is_even,
        "globals": uses_globals,
        "attrs": make_decorated(),
    }
    roundtrip_in_subprocess(payload, """
        assert obj["lambda"](1) == 2
        assert obj["three"](1) == 20
        assert obj["fact"](5) == 120
        assert obj["even"](8)
        assert obj["globals"](9) == 3 + 7
        f = obj["attrs"]
        assert f(1, c=3) == (1, 2, (), 3, 4, {})
        assert f.custom == {"k": [1, 2]} and f.__qualname__ == "Renamed.f"
        assert f.__doc__ == "The doc of f."
    """, protocol)


@anethum_only
def test_pickle_names_anethum_loaders(protocol):
    data = dumps(make_adder(1), protocol)
    found = globals_in_pickle(data)
    assert ("anethum.loaders", "make_function") in found
    assert ("anethum.loaders", "function_setstate") in found
    assert all(not m.startswith("cloudpickle") for m, _ in found)


# -- things that cannot be pickled ------------------------------------------

# Generators pickle nowhere (dill neither); locks do since issue 10.
GEN = (i for i in range(0))


def test_generator_in_closure_raises(protocol):
    gen = (i for i in range(0))

    def uses_gen():
        return gen.gi_running
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps(uses_gen, protocol)
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps(lambda: GEN.gi_running, protocol)
    # still fine afterwards
    assert roundtrip(make_adder(2), protocol)(1) == 3


def _notes(exc):
    return "\n".join(getattr(exc, "__notes__", []))


def test_error_names_the_path_through_the_function(protocol):
    gen = (i for i in range(0))

    def uses_global():
        return GEN.gi_running

    def uses_closure():
        return gen.gi_running

    uses_global.__dict__["extra"] = gen
    for func, path in [
        (uses_global, "obj.__reduce__()[2][0]['extra']"),
        (lambda: GEN.gi_running, "obj.__reduce__()[2][1]['__globals__']['GEN']"),
        (uses_closure, "obj.__reduce__()[2][1]['__closure__'][0]"),
    ]:
        with pytest.raises((TypeError, pickle.PicklingError)) as info:
            dumps([func], protocol)
        notes = _notes(info.value)
        assert path.replace("obj", "obj[0]", 1) in notes, notes


def test_generator_raises(protocol):
    def gen():
        yield 1
    g = gen()
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps(g, protocol)
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps(lambda: g, protocol)
    assert next(g) == 1
    assert roundtrip(gen, protocol)().__next__() == 1


def test_frame_raises(protocol):
    frame = sys._getframe()
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps(frame, protocol)
    with pytest.raises((TypeError, pickle.PicklingError)):
        dumps([lambda: frame], protocol)
    assert roundtrip(lambda: 5, protocol)() == 5


# -- the state carries only what differs from the function make_function builds


def _attrs(f):
    return (f.__name__, f.__qualname__, f.__module__, f.__defaults__, f.__kwdefaults__,
            f.__annotations__, f.__doc__, dict(f.__dict__))


def make_variants():
    def plain(a, b=2, *, c=3):
        """doc"""
        return a + b + c

    def untouched(x):
        return x

    renamed = lambda: 1  # noqa: E731
    renamed.__name__ = "renamed_lambda"
    requalified = lambda: 2  # noqa: E731
    requalified.__qualname__ = "Some.where"
    cleared = lambda a=1: a  # noqa: E731
    cleared.__defaults__ = None
    moved = lambda: 3  # noqa: E731
    moved.__module__ = None
    return [plain, untouched, renamed, requalified, cleared, moved]


@pytest.mark.parametrize("index", range(6))
def test_function_attributes_survive_with_a_trimmed_state(index, protocol):
    f = make_variants()[index]
    g = roundtrip(f, protocol)
    assert _attrs(g) == _attrs(f)
    assert g.__code__.co_name == f.__code__.co_name


def test_untouched_function_state_has_no_default_entries():
    data = dumps(make_variants()[1], 5)
    absent = [b"__kwdefaults__", b"__defaults__", b"__annotations__", b"__closure__",
              b"_anethum_submodules"]
    if sys.version_info >= (3, 11):
        # Before 3.11 code objects have no qualname: a new function's
        # qualname is its name, so the real one must be sent.
        absent.append(b"__qualname__")
    for name in absent:
        assert name not in data, name
