"""Writes tests/old_pickles/py3X/: pickles made by today's anethum, kept so
that later versions of anethum can be checked to still load them.

Run as a script (``python make_corpus.py [OUTDIR]``), with the interpreter
whose corpus it writes and anethum installed; ``scripts/make_old_pickles.sh``
does it for every CPython. Everything pickled here is defined in this
script's ``__main__``, so it goes by value (a registered module too).

For each object and protocol it writes ``<name>-p<protocol>.pkl`` and a
line in ``manifest.json``: expressions to evaluate on the loaded object
(bound to ``obj``) and the values they gave on the original, at creation
time. ``tests/python/test_old_pickles.py`` loads the corpus of the running
interpreter with plain ``pickle.loads`` and checks them.
"""
import dataclasses
import enum
import functools
import json
import math
import os
import pickle
import platform
import sys
import types
import typing

import anethum
import anethum.loaders

HERE = globals().get("_HERE") or os.path.dirname(os.path.abspath(__file__))
#: The file name code objects carry (co_filename), whatever the checkout's
#: path: the corpus comes out byte for byte the same wherever it is made.
SOURCE_NAME = "tests/old_pickles/make_corpus.py"
#: Protocols every object is written with; protocol 0 (text, no NEWOBJ)
#: and 1 are tried too and kept where anethum can write them.
PROTOCOLS = (0, 1, 2, 5)
REQUIRED_PROTOCOLS = (2, 5)


# --- functions ---------------------------------------------------------------

SCALE = 3  # a global of __main__, shipped with the functions that use it

square = lambda x: x * x  # noqa: E731
lambda_defaults = lambda x, y=2, *, z=10: x * y + z  # noqa: E731


def with_defaults(a, b=2, *args, c=3, **kwargs):
    """Positional defaults, keyword-only defaults, varargs, annotations-free."""
    return [a, b, list(args), c, sorted(kwargs.items())]


def annotated(x: int, y: "float" = 1.5) -> float:
    return x * y * SCALE


def uses_module(x):
    return math.floor(math.sqrt(x)) + SCALE


def make_adder(n):
    def add(x):
        return x + n
    return add


def make_counter(start):
    count = start

    def step(by=1):
        nonlocal count
        count += by
        return count
    return step


def factorial(n):
    return 1 if n < 2 else n * factorial(n - 1)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def make_recursive_closure():
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    return fib


def generator(n):
    for i in range(n):
        yield i * SCALE


def with_attributes(x):
    return x + 1


with_attributes.tag = "kept"
with_attributes.__doc__ = "a docstring set after definition"


# --- classes -----------------------------------------------------------------

class Point:
    """A plain class: methods, classmethod, staticmethod, property."""
    dims = 2

    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm2(self):
        return self.x * self.x + self.y * self.y

    @classmethod
    def origin(cls):
        return cls(0, 0)

    @staticmethod
    def kind():
        return "point"

    @property
    def swapped(self):
        return [self.y, self.x]

    def __eq__(self, other):
        return type(other) is type(self) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return "Point(%r, %r)" % (self.x, self.y)


class Point3(Point):
    """A subclass using super()."""
    dims = 3

    def __init__(self, x, y, z):
        super().__init__(x, y)
        self.z = z

    def norm2(self):
        return super().norm2() + self.z * self.z


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def total(self):
        return self.a + self.b


@dataclasses.dataclass
class Record:
    name: str
    size: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def describe(self):
        return "%s:%d:%s" % (self.name, self.size, ",".join(self.tags))


@dataclasses.dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int = 0


class Box(typing.Generic[typing.TypeVar("T")]):
    def __init__(self, item):
        self.item = item


# --- enums -------------------------------------------------------------------

class Color(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3

    def describe(self):
        return "%s=%d" % (self.name, self.value)


class Level(enum.IntEnum):
    LOW = 10
    HIGH = 20


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


Functional = enum.Enum("Functional", "ONE TWO THREE")


# --- modules -----------------------------------------------------------------

def make_dynamic_module():
    mod = types.ModuleType("corpus_dynamic", "a module made at run time")
    exec(
        "CONST = 42\n"
        "def double(x):\n"
        "    return 2 * x + CONST\n"
        "class Thing:\n"
        "    def value(self):\n"
        "        return double(CONST)\n",
        mod.__dict__)
    return mod


def registered_module_objects():
    """A real module (in sys.modules, from corpus_registered.py) registered
    with register_pickle_by_value: its objects go by value, so loading needs
    no corpus_registered module."""
    name = "corpus_registered"
    if name not in sys.modules:
        mod = types.ModuleType(name)
        mod.__file__ = SOURCE_NAME.replace("make_corpus", name)
        with open(os.path.join(HERE, name + ".py")) as f:
            exec(compile(f.read(), mod.__file__, "exec"), mod.__dict__)
        sys.modules[name] = mod
        anethum.register_pickle_by_value(mod)
    return sys.modules[name]


# --- the corpus --------------------------------------------------------------

def corpus():
    """name -> (object, [expressions on the loaded object ``obj``]).

    Called twice: once for what is pickled, once for the checks."""
    registered = registered_module_objects()
    p3 = Point3(1, 2, 3)
    rec = Record("r", 3, ["a", "b"])
    return {
        "lambda": (square, ["obj(7)", "obj(-3)"]),
        "lambda_defaults": (lambda_defaults, ["obj(3)", "obj(3, 4)", "obj(3, z=1)"]),
        "function_defaults": (with_defaults, [
            "obj(1)", "obj(1, 5, 6, 7, c=8, d=9)", "obj.__defaults__", "obj.__kwdefaults__"]),
        "function_annotated": (annotated, ["obj(2)", "sorted(obj.__annotations__)"]),
        "function_module_global": (uses_module, ["obj(17)"]),
        "function_attributes": (with_attributes, ["obj(1)", "obj.tag", "obj.__doc__"]),
        "closure": (make_adder(10), ["obj(5)", "obj.__closure__[0].cell_contents"]),
        "closure_nonlocal": (make_counter(10), ["[obj(), obj(5), obj()]"]),
        "recursive": (factorial, ["obj(10)"]),
        "mutually_recursive": ((is_even, is_odd), ["obj[0](10)", "obj[1](7)", "obj[0].__globals__['is_odd'] is obj[1]"]),
        "recursive_closure": (make_recursive_closure(), ["obj(15)"]),
        "generator_function": (generator, ["list(obj(4))"]),
        "partial": (functools.partial(with_defaults, 1, c=5), ["obj(2, 3)"]),
        "class_plain": (Point, [
            "obj(3, 4).norm2()", "obj.origin().swapped", "obj.kind()", "obj.dims",
            "obj.__name__", "obj.__doc__", "repr(obj(1, 2))"]),
        "instances_plain": ([Point(1, 2), Point(3, 4), p3], [
            "[p.norm2() for p in obj]", "type(obj[0]) is type(obj[1])",
            "type(obj[2]).__mro__[1] is type(obj[0])", "obj[2].z"]),
        "class_subclass_super": (Point3, ["obj(1, 2, 2).norm2()", "obj.dims", "obj.__bases__[0].dims"]),
        "class_slots": (Slotted, ["obj(2, 5).total()", "list(obj.__slots__)", "hasattr(obj(1, 2), '__dict__')"]),
        "instance_slots": ([Slotted(1, 2), Slotted(10, 20)], ["[s.total() for s in obj]", "obj[1].b"]),
        "dataclass": (Record, [
            "obj('x').describe()", "obj('x', 2, ['t']).describe()",
            "[f.name for f in dataclasses.fields(obj)]", "obj('x') == obj('x')",
            "obj('y').tags is not obj('y').tags"]),
        "dataclass_instance": (rec, ["dataclasses.asdict(obj)", "obj.describe()", "repr(obj)"]),
        "dataclass_frozen_order": ((Version, [Version(3, 9), Version(3, 13), Version(2)]), [
            "[dataclasses.astuple(v) for v in sorted(obj[1])]", "obj[0](1) < obj[0](1, 1)",
            "hash(obj[0](3, 4)) == hash(obj[0](3, 4))"]),
        "class_generic": (Box, ["obj(5).item", "len(obj.__parameters__)"]),
        "enum": (Color, ["[m.name for m in obj]", "obj(2).name", "obj.BLUE.describe()", "obj['RED'].value"]),
        "enum_members": ([Color.RED, Color.GREEN, Color.RED], [
            "obj[0] is obj[2]", "[m.value for m in obj]", "type(obj[0]).__name__"]),
        "int_enum": (Level, ["obj.HIGH + 1", "obj(10).name", "sorted(obj)[0] < 15"]),
        "flag": ((Perm, Perm.R | Perm.W), ["obj[1].value", "bool(obj[1] & obj[0].W)", "(obj[0].R | obj[0].X).value"]),
        "enum_functional": (Functional, ["[m.value for m in obj]", "obj.TWO.name"]),
        "dynamic_module": (make_dynamic_module(), [
            "obj.double(4)", "obj.CONST", "obj.Thing().value()", "obj.__name__", "obj.__doc__"]),
        "registered_module": ((registered.scaled, registered.Shape, registered), [
            "obj[0](2)", "obj[1](3).area()", "obj[2].FACTOR", "obj[1].__module__"]),
    }


def plain(value):
    """What a check's value looks like in JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def evaluate(expr, obj):
    return plain(eval(expr, {"dataclasses": dataclasses, "obj": obj}))


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):
        if old.endswith(".pkl") or old == "manifest.json":
            os.remove(os.path.join(outdir, old))
    entries = []
    # The checks run in order on one object, here as after loading, and
    # may change it (a counter): they run on a twin of what is pickled.
    # Each object is made once, as the tracker ids of two live classes
    # defined alike depend on the order they are pickled in.
    twins = corpus()
    for name, (obj, exprs) in corpus().items():
        checks = [{"expr": e, "expect": evaluate(e, twins[name][0])} for e in exprs]
        written = []
        for protocol in PROTOCOLS:
            try:
                data = anethum.dumps(obj, protocol)
                # It must load here first: the corpus holds only good pickles.
                loaded = pickle.loads(data)
                for check in checks:
                    got = evaluate(check["expr"], loaded)
                    assert got == check["expect"], (name, protocol, check, got)
            except Exception as exc:
                if protocol in REQUIRED_PROTOCOLS:
                    raise
                print("  %s: protocol %d left out (%s: %s)" % (name, protocol, type(exc).__name__, exc))
                continue
            filename = "%s-p%d.pkl" % (name, protocol)
            with open(os.path.join(outdir, filename), "wb") as f:
                f.write(data)
            written.append({"protocol": protocol, "file": filename})
        entries.append({"name": name, "pickles": written, "checks": checks})
    manifest = {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "loaders_format_version": anethum.loaders.FORMAT_VERSION,
        "made_by": "tests/old_pickles/make_corpus.py",
        "entries": entries,
    }
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    n = sum(len(e["pickles"]) for e in entries)
    print("wrote %d pickles of %d objects to %s" % (n, len(entries), outdir))


if __name__ == "__main__" and "_RECOMPILED" not in globals():
    # Define everything again in __main__, compiled under SOURCE_NAME, and
    # with SOURCE_NAME as __file__ (functions by value carry it).
    _RECOMPILED, _HERE = True, HERE
    with open(__file__) as _f:
        __file__ = SOURCE_NAME
        exec(compile(_f.read(), SOURCE_NAME, "exec"), globals())
elif __name__ == "__main__":
    default = os.path.join(HERE, "py%d%d" % sys.version_info[:2])
    main(sys.argv[1] if len(sys.argv) > 1 else default)
