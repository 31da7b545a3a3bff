"""A function pickled by value ships exactly the globals its code (nested
code included) reads or writes: found in the bytecode with the version's
opcodes (3.14 brought LOAD_SMALL_INT, LOAD_FAST_BORROW*,
LOAD_COMMON_CONSTANT... around them), compared with cloudpickle's
``_extract_code_globals`` when it is installed."""
import os
import pickle
import sys
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from by_value_support.roundtrip import PROTOCOLS, dumps  # noqa: E402

SOURCE = '''
import os.path
import xml.etree.ElementTree

A, B, C, D, E, F, G, H, K, UNUSED, COUNTER = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0

class Shape:
    CIRCLE = "circle"

def comprehensions(xs):
    return [x + A for x in xs if x > B], {x: C for x in xs}, set(D for x in xs)

def nested_closures():
    def inner():
        def innermost():
            return E
        return innermost
    return inner()()

def global_statement():
    global COUNTER, CREATED
    COUNTER += 1
    CREATED = COUNTER
    del CREATED
    return COUNTER

def attribute_chains():
    return os.path.join("a", "b"), xml.etree.ElementTree.Element("e").tag

def many_constants():
    return (0, 1, 255, 256, -1, 1 << 40, None, True, "s", A)

def defaults_and_lambdas(f=lambda: H):
    return f() + (lambda: K)()


async def coroutine():
    return A

def generator():
    yield from range(B)

def exception_names():
    try:
        return A
    except ValueError:
        return B

def builtins_only(xs):
    return len(xs), max(xs), NotImplementedError, AssertionError
'''

# `match` (3.10+) in a source of its own, so 3.9 can compile the rest.
MATCH_SOURCE = '''
def pattern_match(value):
    match value:
        case Shape.CIRCLE:
            return A
        case [x, *rest] if x > B:
            return C
        case {"k": v}:
            return v
    return UNUSED_NOT_DEFINED
'''
HAVE_MATCH = sys.version_info >= (3, 10)
if HAVE_MATCH:
    SOURCE += MATCH_SOURCE

# What each function uses that the module defines (builtins never ship).
EXPECTED = {
    "comprehensions": {"A", "B", "C", "D"},
    "nested_closures": {"E"},
    "global_statement": {"COUNTER"},
    "attribute_chains": {"os", "xml"},
    "many_constants": {"A"},
    # H: the default lambda's, shipped into the same (shared) globals.
    "defaults_and_lambdas": {"H", "K"},
    "coroutine": {"A"},
    "generator": {"B"},
    "exception_names": {"A", "B"},
    "builtins_only": set(),
}
if HAVE_MATCH:
    EXPECTED["pattern_match"] = {"Shape", "A", "B", "C"}

# Class bodies and class-scoped annotation scopes read globals with
# LOAD_NAME and LOAD_FROM_DICT_OR_GLOBALS, which cloudpickle doesn't look
# for: the class body reads F at call time, the annotation G when read.
CLASS_SOURCE = '''
def class_body():
    class Inner:
        value = F
        x: G
        def method(self):
            return H
    return Inner
'''
CLASS_EXPECTED = {"F", "G", "H"}

GENERIC_SOURCE = '''
def generic():
    class Box[T: F]:
        def get[U: G](self) -> U:
            return H
    type Alias[V] = list[K]
    return Box, Alias
'''
GENERIC_EXPECTED = {"F", "G", "H", "K"}

BASE_KEYS = {"__builtins__", "__name__", "__package__", "__path__", "__file__"}


def module_from(*sources):
    module = types.ModuleType("dyn_globals_scan")
    for source in (SOURCE,) + sources:
        exec(source, module.__dict__)
    return module


def shipped(func, protocol):
    return set(pickle.loads(dumps(func, protocol)).__globals__) - BASE_KEYS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ships_exactly_the_globals_used(name, protocol):
    module = module_from()
    assert shipped(getattr(module, name), protocol) == EXPECTED[name]


def test_loaded_functions_work():
    module = module_from()
    load = lambda f: pickle.loads(dumps(f))  # noqa: E731
    assert load(module.comprehensions)([3]) == ([4], {3: 3}, {4})
    assert load(module.nested_closures)() == 5
    assert load(module.global_statement)() == 1
    assert load(module.attribute_chains)() == (os.path.join("a", "b"), "e")
    if HAVE_MATCH:
        assert load(module.pattern_match)("circle") == 1
        assert load(module.pattern_match)([9]) == 3
    assert load(module.defaults_and_lambdas)() == 17
    assert load(module.many_constants)()[-1] == 1
    assert list(load(module.generator)()) == [0, 1]


def test_class_bodies_get_their_globals(protocol):
    module = module_from(CLASS_SOURCE)
    assert shipped(module.class_body, protocol) == CLASS_EXPECTED
    Inner = pickle.loads(dumps(module.class_body, protocol))()
    assert Inner.value == 6 and Inner().method() == 8
    if sys.version_info >= (3, 14):
        assert Inner.__annotations__ == {"x": 7}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type parameter syntax (PEP 695)")
def test_type_parameter_scopes_get_their_globals(protocol):
    module = module_from(GENERIC_SOURCE)
    assert shipped(module.generic, protocol) == GENERIC_EXPECTED
    Box, Alias = pickle.loads(dumps(module.generic, protocol))()
    assert Box.__type_params__[0].__bound__ == 6
    assert Box.get.__type_params__[0].__bound__ == 7
    assert Box().get() == 8
    assert Alias.__value__ == list[9]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_same_globals_as_cloudpickle(name):
    cloudpickle = pytest.importorskip("cloudpickle.cloudpickle")
    module = module_from()
    func = getattr(module, name)
    theirs = set()
    for f in (func,) + tuple(d for d in func.__defaults__ or () if isinstance(d, types.FunctionType)):
        theirs |= {n for n in cloudpickle._extract_code_globals(f.__code__) if n in module.__dict__}
    assert shipped(func, 5) == theirs


def test_more_than_cloudpickle_only_for_class_scopes():
    cloudpickle = pytest.importorskip("cloudpickle.cloudpickle")
    module = module_from(CLASS_SOURCE)
    theirs = {n for n in cloudpickle._extract_code_globals(module.class_body.__code__) if n in module.__dict__}
    # H is read by a method (LOAD_GLOBAL); F and G by the class scopes.
    assert theirs == {"H"}
    assert shipped(module.class_body, 5) - theirs == {"F", "G"}


def test_extended_args():
    names = ["G%d" % i for i in range(300)]
    source = "\n".join("%s = %d" % (n, i) for i, n in enumerate(names))
    source += "\ndef wide():\n    return [%s]\n" % ", ".join(names)
    module = types.ModuleType("dyn_wide")
    exec(source, module.__dict__)
    assert shipped(module.wide, 5) == set(names)
    assert pickle.loads(dumps(module.wide))() == list(range(300))
