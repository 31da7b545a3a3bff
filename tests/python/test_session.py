"""anethum.dump_module / load_module / load_module_asdict (dill's sessions).

The ``__main__`` tests run real scripts in fresh interpreters: one defines
and dumps a session, another loads it and uses what it loaded.  The other
modules (importable ones written to a temporary directory, and
``types.ModuleType`` objects) are tested in this process.
"""
import calendar
import collections
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
import textwrap
import types
import typing
import uuid
import warnings

import pytest

import anethum

ANETHUM_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))


def run_script(path, *args, extra_path=(), timeout=120):
    """Run the script ``path`` as ``__main__`` in a fresh interpreter that
    imports the anethum this process imported; returns its stdout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([ANETHUM_PARENT] + [str(p) for p in extra_path])
    env.pop("PYTHONSTARTUP", None)
    env["TMPDIR"] = str(os.path.dirname(str(path)))
    proc = subprocess.run([sys.executable, str(path)] + [str(a) for a in args],
                          cwd=os.path.dirname(str(path)), env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("%s failed (rc=%d)\n--- stdout ---\n%s\n--- stderr ---\n%s"
                             % (path, proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


def write(path, source):
    path.write_text(textwrap.dedent(source))
    return path


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# __main__ of a script, loaded in a fresh interpreter.
# --------------------------------------------------------------------------

HELPER_MODULE = """\
LOCK = (i for i in range(1))  # unpicklable anywhere (locks pickle since issue 10)
TABLE = {"a": 1}
def helper_function(x):
    return x * 10
"""

SESSION_SCRIPT = """\
import sys, json, enum, collections, dataclasses
import xml.dom.minidom
import urllib as url
from calendar import Calendar, isleap, day_name
from cmath import log as complex_log
from session_helper import TABLE, helper_function
import anethum

x = 17
empty = None
names = ["Alice", "Bob", "Carol"]
data = {"nested": [1, 2, {"deep": (3, 4)}], "bytes": b"\\x00\\x01"}

def squared(v):
    return v ** 2

cubed = lambda v: v ** 3

def make_adder(n):
    def add(v):
        return v + n
    return add

add5 = make_adder(5)

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

def counter():
    count = 0
    def step():
        nonlocal count
        count += 1
        return count
    return step

tick = counter()
tick()

def annotated(v: int, w: "Person" = None) -> str:
    return str(v)

@dataclasses.dataclass
class Record:
    a: int
    tags: list = dataclasses.field(default_factory=list)

record = Record(1, ["t"])

def with_defaults(a, b=2, *, c=3):
    "doc of with_defaults"
    return a + b + c

class Person:
    species = "human"
    def __init__(self, name, age):
        self.name, self.age = name, age
    def greet(self):
        return "%s is %d, squared(2)=%d" % (self.name, self.age, squared(2))
    @classmethod
    def make(cls):
        return cls(names[1], x + 1)
    @staticmethod
    def twice(v):
        return 2 * v
    @property
    def initial(self):
        return self.name[0]

class Student(Person):
    def greet(self):
        return "student " + super().greet()

class Color(enum.Enum):
    RED = 1
    GREEN = 2
    def describe(self):
        return "%s=%d" % (self.name, self.value)

Point = collections.namedtuple("Point", "x y")

person = Person(names[0], x)
student = Student("Dan", 20)
point = Point(1, 2)
color = Color.GREEN

class CalendarSubclass(Calendar):
    def weekdays(self):
        return [day_name[i] for i in self.iterweekdays()]

cal = CalendarSubclass()
selfref = sys.modules[__name__]
namespace = globals()

def uses_submodule():
    return xml.dom.minidom.parseString("<root/>").documentElement.tagName

refimported = sys.argv[2] == "True"
anethum.dump_module(sys.argv[1], refimported=refimported)

# load_module_asdict leaves __main__ alone.
x = 0
del empty
before = dict(globals())
loaded = anethum.load_module_asdict(sys.argv[1])
after = dict(globals())
del after["before"], after["loaded"]
print(json.dumps({
    "asdict_untouched": (set(after) == set(before)
                         and all(after[k] is before[k] for k in before)
                         and sys.modules["__main__"].__dict__ is globals()),
    "asdict_x": loaded["x"],
    "asdict_has_empty": "empty" in loaded,
    "asdict_names_copy": loaded["names"] == names and loaded["names"] is not names,
    "asdict_function_globals": loaded["squared"].__globals__ is loaded,
    "asdict_name": loaded["__name__"],
    "asdict_session": loaded["__session__"] == sys.argv[1],
    "asdict_call": loaded["Person"]("Eve", 3).greet(),
}))
"""

LOAD_SCRIPT = """\
import sys, json, pickle
how = sys.argv[2]
if how == "load_module":
    import anethum
    assert anethum.load_module(sys.argv[1]) is None
else:  # the plain standard library, without importing anethum first
    with open(sys.argv[1], "rb") as f:
        assert pickle.load(f) is sys.modules["__main__"]
import calendar, cmath, session_helper

made = Person.make()
print(json.dumps({
    "x": x, "empty": empty, "names": names,
    "data": repr(data),
    "squared": squared(3), "cubed": cubed(2), "add5": add5(1), "fact": fact(6),
    "tick": [tick(), tick()],
    "with_defaults": [with_defaults(1), with_defaults(1, 1, c=1), with_defaults.__doc__],
    "greet": person.greet(), "student": student.greet(),
    "isinstance": [isinstance(person, Person), isinstance(student, Person),
                   type(person) is Person, issubclass(Student, Person)],
    "made": [made.name, made.age, Person.twice(4), person.initial, Person.species],
    "enum": [color is Color.GREEN, Color(1).describe(), [c.name for c in Color]],
    "point": [point == Point(1, 2), point.y],
    "cal": [cal.weekdays()[:2], isinstance(cal, calendar.Calendar)],
    "selfref": selfref is sys.modules["__main__"],
    "namespace": namespace is globals(),
    "globals": [f.__globals__ is globals() for f in (squared, cubed, add5, fact, Person.greet)],
    "module_names": [squared.__module__, Person.__module__],
    "modules": [url.__name__, xml.dom.minidom.__name__, json.__name__],
    "submodule": uses_submodule(),
    "imported": [Calendar is calendar.Calendar, isleap is calendar.isleap,
                 complex_log is cmath.log, helper_function is session_helper.helper_function,
                 helper_function(4)],
    "by_reference": [day_name is calendar.day_name, TABLE is session_helper.TABLE],
    "day_name": day_name[0],
    "annotations": [sorted(annotated.__annotations__), annotated.__annotations__["v"] is int,
                    annotated(3)],
    "dataclass": [record == Record(1, ["t"]), Record(2).tags, dataclasses.is_dataclass(record),
                  [f.name for f in dataclasses.fields(Record)]],
}))
"""


@pytest.fixture()
def session_dir(tmp_path):
    write(tmp_path / "session_helper.py", HELPER_MODULE)
    write(tmp_path / "make_session.py", SESSION_SCRIPT)
    write(tmp_path / "load_session.py", LOAD_SCRIPT)
    return tmp_path


@pytest.mark.parametrize("refimported", [False, True], ids=["by_value", "refimported"])
@pytest.mark.parametrize("how", ["load_module", "pickle_load"])
def test_script_session_loads_in_fresh_interpreter(session_dir, refimported, how):
    pkl = session_dir / "session.pkl"
    out = last_json(run_script(session_dir / "make_session.py", pkl, refimported,
                               extra_path=[session_dir]))
    assert out == {
        "asdict_untouched": True, "asdict_x": 17, "asdict_has_empty": True,
        "asdict_names_copy": True, "asdict_function_globals": True,
        "asdict_name": "__main__", "asdict_session": True,
        "asdict_call": "Eve is 3, squared(2)=4",
    }
    got = last_json(run_script(session_dir / "load_session.py", pkl, how,
                               extra_path=[session_dir]))
    assert got["x"] == 17 and got["empty"] is None
    assert got["names"] == ["Alice", "Bob", "Carol"]
    assert got["data"] == repr({"nested": [1, 2, {"deep": (3, 4)}], "bytes": b"\x00\x01"})
    assert [got["squared"], got["cubed"], got["add5"], got["fact"]] == [9, 8, 6, 720]
    assert got["tick"] == [2, 3]
    assert got["with_defaults"] == [6, 3, "doc of with_defaults"]
    assert got["greet"] == "Alice is 17, squared(2)=4"
    assert got["student"] == "student Dan is 20, squared(2)=4"
    assert got["isinstance"] == [True, True, True, True]
    assert got["made"] == ["Bob", 18, 8, "A", "human"]
    assert got["enum"] == [True, "RED=1", ["RED", "GREEN"]]
    assert got["point"] == [True, 2]
    assert got["cal"] == [["Monday", "Tuesday"], True]
    assert got["selfref"] and got["namespace"]
    assert got["globals"] == [True] * 5
    assert got["module_names"] == ["__main__", "__main__"]
    assert got["modules"] == ["urllib", "xml.dom.minidom", "json"]
    assert got["submodule"] == "root"
    assert got["imported"] == [True, True, True, True, 40]
    # The refimported difference: data objects imported from other modules
    # are copies by default, the modules' own objects with refimported.
    assert got["by_reference"] == [refimported, refimported]
    assert got["day_name"] == "Monday"
    assert got["annotations"] == [["return", "v", "w"], True, "3"]
    assert got["dataclass"] == [True, [], True, ["a", "tags"]]


SAME_PROCESS_SCRIPT = """\
import io, json, sys
import anethum

values = [1, 2, 3]
def total():
    return sum(values)
class Box:
    def __init__(self, v):
        self.v = v
box = Box(values)

buf = io.BytesIO()
anethum.dump_module(buf)
original_class, original_total = Box, total
values = None
box = None
del total
buf.seek(0)
result = anethum.load_module(buf, module="__main__")
print(json.dumps({
    "result": result, "total": total(), "box": box.v,
    "same_class": Box is original_class and type(box) is Box,
    "new_function": total is not original_total and total.__globals__ is globals(),
    "shared_list": box.v is values,
}))
"""


def test_main_session_reloaded_in_same_interpreter(tmp_path):
    script = write(tmp_path / "same.py", SAME_PROCESS_SCRIPT)
    assert last_json(run_script(script)) == {
        "result": None, "total": 6, "box": [1, 2, 3], "same_class": True,
        "new_function": True, "shared_list": True}


REFONFAIL_SCRIPT = """\
import json, sys, threading, warnings
import anethum
from session_helper import LOCK

gen = (i for i in range(3))
own_lock = (i for i in range(1))
kept = [1, 2]
def f():
    return len(kept)

try:
    anethum.dump_module(sys.argv[1])
except TypeError as exc:
    plain_error = str(exc)
else:
    plain_error = None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    anethum.dump_module(sys.argv[1], refonfail=True)
print(json.dumps({
    "plain_error": plain_error,
    "warnings": sorted(str(w.message) for w in caught),
    "categories": sorted(set(w.category.__name__ for w in caught)),
    "filenames": sorted(set(w.filename for w in caught)),
}))
"""

REFONFAIL_LOAD = """\
import json, sys
import anethum, session_helper
anethum.load_module(sys.argv[1])
print(json.dumps({
    "f": f(), "lock": LOCK is session_helper.LOCK,
    "gen": "gen" in globals(), "own_lock": "own_lock" in globals(),
}))
"""


def test_refonfail_references_or_leaves_out_unpicklable(session_dir):
    dump = write(session_dir / "refonfail_dump.py", REFONFAIL_SCRIPT)
    load = write(session_dir / "refonfail_load.py", REFONFAIL_LOAD)
    pkl = session_dir / "refonfail.pkl"
    out = last_json(run_script(dump, pkl, extra_path=[session_dir]))
    assert out["plain_error"] is not None and "generator" in out["plain_error"]
    assert out["categories"] == ["PicklingWarning"]
    assert out["filenames"] == [str(dump)]
    messages = out["warnings"]
    assert len(messages) == 3
    assert "'LOCK'" in messages[0] and "saved by reference to session_helper.LOCK" in messages[0]
    assert "'gen'" in messages[1] and "generator" in messages[1] and "left out" in messages[1]
    assert "'own_lock'" in messages[2] and "left out" in messages[2]
    got = last_json(run_script(load, pkl, extra_path=[session_dir]))
    assert got == {"f": 2, "lock": True, "gen": False, "own_lock": False}


# --------------------------------------------------------------------------
# Modules other than __main__, in this process.
# --------------------------------------------------------------------------


def runtime_module(name, source):
    module = types.ModuleType(name)
    exec(textwrap.dedent(source), module.__dict__)
    return module


RUNTIME_SOURCE = """\
import math
from calendar import day_name
x = 42
def scaled(v):
    return v * x + math.floor(1.5)
class Thing:
    def value(self):
        return scaled(1)
thing = Thing()
"""


def dumped(module, **kwds):
    buf = io.BytesIO()
    anethum.dump_module(buf, module, **kwds)
    return buf.getvalue()


def test_runtime_module():
    rt = runtime_module("anethum_test_runtime", RUNTIME_SOURCE)
    data = dumped(rt)
    assert "anethum_test_runtime" not in sys.modules

    loaded = anethum.load_module(io.BytesIO(data))
    assert isinstance(loaded, types.ModuleType) and loaded is not rt
    assert loaded.__name__ == "anethum_test_runtime"
    assert "anethum_test_runtime" not in sys.modules
    assert loaded.scaled(2) == 85 and loaded.thing.value() == 43
    assert isinstance(loaded.thing, loaded.Thing)
    assert loaded.scaled.__globals__ is loaded.__dict__
    assert loaded.math is sys.modules["math"]

    fresh = types.ModuleType("anethum_test_runtime")
    assert anethum.load_module(io.BytesIO(data), module=fresh) is None
    assert fresh.x == 42 and fresh.scaled(1) == 43
    assert fresh.scaled.__globals__ is fresh.__dict__

    by_pickle = pickle.loads(data)
    assert isinstance(by_pickle, types.ModuleType) and by_pickle.scaled(0) == 1


def test_refimported_difference():
    rt = runtime_module("anethum_test_refimported", RUNTIME_SOURCE)
    rt.holder = [rt.day_name]
    by_value = anethum.load_module(io.BytesIO(dumped(rt)))
    by_ref = anethum.load_module(io.BytesIO(dumped(rt, refimported=True)))
    assert by_value.day_name is not calendar.day_name
    assert list(by_value.day_name) == list(calendar.day_name)
    assert by_value.holder[0] is by_value.day_name
    assert by_ref.day_name is calendar.day_name
    # Other references to an imported object in the pickle go by reference too.
    assert by_ref.holder[0] is calendar.day_name
    for loaded in (by_value, by_ref):
        assert loaded.math is sys.modules["math"]
        assert loaded.thing.value() == 43


@pytest.fixture()
def importable(tmp_path, monkeypatch):
    """Write a package with a submodule to an importable directory; yields
    a function importing it under a fresh name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def make(init_source, sub_source="def g():\n    return 100\nclass S:\n    pass\n"):
        name = "anethum_session_pkg_%s" % uuid.uuid4().hex[:8]
        package = tmp_path / name
        package.mkdir()
        write(package / "__init__.py", init_source)
        write(package / "sub.py", sub_source)
        names.append(name)
        __import__(name)
        return sys.modules[name]

    yield make
    for name in names:
        for key in list(sys.modules):
            if key == name or key.startswith(name + "."):
                del sys.modules[key]


PACKAGE_SOURCE = """\
import threading
from . import sub
VALUE = 3
def f(x):
    return x + VALUE + sub.g()
class K:
    def m(self):
        return f(1)
"""


def test_importable_module(importable):
    module = importable(PACKAGE_SOURCE)
    module.extra = lambda: module.VALUE * 2
    module.k = module.K()
    module.S = module.sub.S
    module.selfref = module
    registry = anethum.list_registry_pickle_by_value()
    data = dumped(module)
    assert anethum.list_registry_pickle_by_value() == registry
    saved_names = [n for n in vars(module) if not n.startswith("__")]
    for name in ["extra", "k", "K", "f", "S", "selfref", "VALUE"]:
        delattr(module, name)

    assert anethum.load_module(io.BytesIO(data), module) is None
    assert all(name in vars(module) for name in saved_names)
    assert module.selfref is module
    assert module.extra() == 6 and module.f(0) == 103 and module.k.m() == 104
    assert type(module.k) is module.K
    assert module.f.__globals__ is module.__dict__
    # The package's submodule and its class went by reference.
    assert module.sub is sys.modules[module.__name__ + ".sub"]
    assert module.S is module.sub.S

    # Without `module`, the saved (importable) module is the one updated.
    module.VALUE = 0
    assert anethum.load_module(io.BytesIO(data)) is module
    assert module.VALUE == 3
    # A name (not a module object) gets the module back, as in dill.
    assert anethum.load_module(io.BytesIO(data), module.__name__) is module


def test_module_by_name(importable):
    module = importable("y = [1]\n")
    buf = io.BytesIO()
    anethum.dump_module(buf, module=module.__name__)
    module.y = None
    buf.seek(0)
    anethum.load_module(buf)
    assert module.y == [1]


def test_refimported_imported_as(importable):
    import concurrent.futures
    holder = importable("pass\n")
    holder.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        mod = types.ModuleType("anethum_test_imported_as")
        mod.Dict = collections.UserDict             # selected by type
        mod.AsyncCM = typing.AsyncContextManager    # selected by __module__
        mod.thread_exec = holder.executor           # by __module__, with a regex
        mod.table = calendar.month_name             # by name only: by value
        loaded = anethum.load_module(io.BytesIO(dumped(mod, refimported=True)))
        assert loaded.Dict is collections.UserDict
        assert loaded.AsyncCM is typing.AsyncContextManager
        assert loaded.thread_exec is holder.executor
        assert loaded.table is not calendar.month_name
    finally:
        holder.executor.shutdown()


def test_load_module_asdict_leaves_module_alone(importable):
    module = importable("z = 1\ndef get():\n    return z\n")
    data = dumped(module)
    module.z = 2
    module.new = "new"
    before = dict(vars(module))
    main_vars = anethum.load_module_asdict(io.BytesIO(data))
    assert vars(module) == before
    assert sys.modules[module.__name__] is module
    assert main_vars is not vars(module)
    assert main_vars["z"] == 1 and "new" not in main_vars
    assert main_vars["get"]() == 1 and main_vars["get"].__globals__ is main_vars
    assert main_vars["__name__"] == module.__name__
    assert main_vars["__session__"].startswith("<_io.BytesIO")

    updated = anethum.load_module_asdict(io.BytesIO(data), update=True)
    assert updated["z"] == 1 and updated["new"] == "new"
    assert vars(module) == before

    rt = runtime_module("anethum_test_asdict_rt", RUNTIME_SOURCE)
    rt_vars = anethum.load_module_asdict(io.BytesIO(dumped(rt)))
    assert rt_vars["x"] == 42 and rt_vars["thing"].value() == 43
    assert "anethum_test_asdict_rt" not in sys.modules

    with pytest.raises(TypeError):
        anethum.load_module_asdict(io.BytesIO(data), module=module)


class _PathLike:
    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


@pytest.mark.parametrize("kind", ["str", "pathlib", "pathlike", "file", "none"])
def test_filename_kinds(tmp_path, monkeypatch, kind):
    rt = runtime_module("anethum_test_files", RUNTIME_SOURCE)
    path = tmp_path / "saved.pkl"
    if kind == "none":
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        anethum.dump_module(module=rt)
        assert (tmp_path / "session.pkl").exists()   # dill's default file
        loaded = anethum.load_module()
        assert anethum.load_module_asdict()["__session__"] == str(tmp_path / "session.pkl")
    elif kind == "file":
        with open(path, "wb") as f:
            anethum.dump_module(f, module=rt)
            assert not f.closed
        with open(path, "rb") as f:
            loaded = anethum.load_module(f)
            assert not f.closed
    else:
        assert isinstance(path, pathlib.Path)
        arg = {"str": str(path), "pathlib": path, "pathlike": _PathLike(str(path))}[kind]
        anethum.dump_module(arg, module=rt)
        loaded = anethum.load_module(arg)
        assert anethum.load_module_asdict(arg)["__session__"] == str(arg)
    assert loaded.scaled(1) == 43 and loaded.thing.value() == 43


def test_unseekable_stream():
    rt = runtime_module("anethum_test_pipe", RUNTIME_SOURCE)
    read_fd, write_fd = os.pipe()
    data = dumped(rt)
    with os.fdopen(write_fd, "wb") as w:
        w.write(data)
    with os.fdopen(read_fd, "rb", buffering=0) as r:
        loaded = anethum.load_module(r)
    assert loaded.x == 42


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_protocols(protocol):
    rt = runtime_module("anethum_test_protocols", RUNTIME_SOURCE)
    data = dumped(rt, protocol=protocol)
    assert anethum.load_module(io.BytesIO(data)).thing.value() == 43
    assert pickle.loads(data).scaled(1) == 43


def test_wrong_module_raises_value_error(importable):
    module = importable("a = 1\n")
    other = importable("b = 2\n")
    rt = runtime_module("anethum_test_wrong", "c = 3\n")
    module_data, rt_data = dumped(module), dumped(rt)

    with pytest.raises(ValueError) as info:
        anethum.load_module(io.BytesIO(module_data), other)
    assert str(info.value) == "can't update module %r with the saved state of module %r" % (
        other.__name__, module.__name__)
    with pytest.raises(ValueError) as info:
        anethum.load_module(io.BytesIO(rt_data), module)
    assert str(info.value) == (
        "can't update imported module %r with the saved state of module-type object %r"
        % (module.__name__, "anethum_test_wrong"))
    with pytest.raises(ValueError) as info:
        anethum.load_module(io.BytesIO(module_data), types.ModuleType(module.__name__))
    assert str(info.value) == (
        "can't update module-type object %r with the saved state of imported module %r"
        % (module.__name__, module.__name__))
    with pytest.raises(ValueError) as info:
        anethum.load_module(io.BytesIO(rt_data), types.ModuleType("other_name"))
    assert str(info.value) == "can't update module %r with the saved state of module %r" % (
        "other_name", "anethum_test_wrong")
    assert module.a == 1 and other.b == 2


def test_wrong_module_message_matches_dill(importable):
    dill = pytest.importorskip("dill")
    module = importable("a = 1\n")
    other = importable("b = 2\n")
    messages = []
    for dump, load in [(dill.dump_module, dill.load_module),
                       (anethum.dump_module, anethum.load_module)]:
        buf = io.BytesIO()
        dump(buf, module)
        buf.seek(0)
        with pytest.raises(ValueError) as info:
            load(buf, other)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_not_a_session_pickle():
    with pytest.raises(pickle.UnpicklingError):
        anethum.load_module(io.BytesIO(pickle.dumps([1, 2, 3])))
    with pytest.raises(TypeError):
        anethum.dump_module(io.BytesIO(), module=42)


def test_dump_session_load_session_aliases():
    rt = runtime_module("anethum_test_alias", RUNTIME_SOURCE)
    buf = io.BytesIO()
    with pytest.warns(PendingDeprecationWarning):
        anethum.dump_session(buf, main=rt, byref=True)
    fresh = types.ModuleType("anethum_test_alias")
    buf.seek(0)
    with pytest.warns(PendingDeprecationWarning):
        assert anethum.load_session(buf, main=fresh) is None
    assert fresh.scaled(1) == 43
    assert fresh.day_name is calendar.day_name     # byref is refimported

    # The old keyword names of dump_module / load_module.
    buf = io.BytesIO()
    with pytest.warns(PendingDeprecationWarning):
        anethum.dump_module(buf, main=rt, byref=True)
    other = types.ModuleType("anethum_test_alias")
    buf.seek(0)
    with pytest.warns(PendingDeprecationWarning):
        assert anethum.load_module(buf, main=other) is None
    assert other.day_name is calendar.day_name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError):
            anethum.dump_module(io.BytesIO(), module=rt, main=rt)
        with pytest.raises(TypeError):
            anethum.dump_module(io.BytesIO(), module=rt, refimported=True, byref=True)
        with pytest.raises(TypeError):
            anethum.load_module(io.BytesIO(), module=rt, main=rt)


def test_refonfail_runtime_module(importable):
    holder = importable("LOCK = (i for i in range(1))\n")
    rt = runtime_module("anethum_test_refonfail", "import threading\nx = 1\n")
    rt.lock = holder.LOCK
    rt.gen = (i for i in range(2))
    with pytest.raises(TypeError):
        dumped(rt)
    with pytest.warns(anethum._session.PicklingWarning) as caught:
        data = dumped(rt, refonfail=True)
    assert sorted(str(w.message).split("'")[1] for w in caught) == ["gen", "lock"]
    loaded = anethum.load_module(io.BytesIO(data))
    assert loaded.lock is holder.LOCK and loaded.x == 1 and not hasattr(loaded, "gen")
    assert "gen" in vars(rt)   # the dumped module is left as it was


SESSION_LOADER_SIGNATURES = {
    "session_module": "(name, imported)",
    "session_module_setstate": "(module, state)",
    "make_function": "(code, globals, name, argdefs, closure)",
    "function_setstate": "(func, state)",
    "import_attribute": "(module_name, qualname)",
}


@pytest.mark.parametrize("name", sorted(SESSION_LOADER_SIGNATURES))
def test_session_loaders_contract(name):
    # Session pickles refer to these by import path: they may not change.
    import inspect
    from anethum import _session_loaders
    func = getattr(_session_loaders, name)
    assert str(inspect.signature(func)) == SESSION_LOADER_SIGNATURES[name]
    assert func.__doc__ and name in _session_loaders.__all__
    assert pickle.loads(pickle.dumps(func)) is func


def test_session_loaders_need_no_extension():
    # Loaded from its file alone, it imports nothing of anethum's.
    from anethum import _session_loaders
    script = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('standalone', %r)\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert not [m for m in sys.modules if m.startswith('anethum')], sys.modules\n"
        "print(module.import_attribute('os.path', 'join') is __import__('os').path.join)\n"
        % (_session_loaders.__file__,))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_public_api_documented():
    for name in ["dump_module", "load_module", "load_module_asdict",
                 "dump_session", "load_session"]:
        func = getattr(anethum, name)
        assert name in anethum.__all__
        assert func.__doc__ and len(func.__doc__) > 40
