"""Allocation-failure injection: every allocation of a dump made to fail.

For each case (an object of the corpus, a protocol, a way of writing it)
and each allocation index k of its dump, `_testcapi.set_nomemory(k, 0)`
(allocation k+1 and all later ones fail: mode "from") or
`set_nomemory(k, k + 1)` (only allocation k+1 fails: mode "only") is set
around one dump, then `_testcapi.remove_mem_hooks()`. An injection passes
when the process survives (no signal, no abort, no pyo3 PanicException,
no SystemError), does not hang, raises MemoryError or another ordinary
exception (or succeeds with the very bytes of a normal dump), and the
next dump of the same object, with the hooks removed, gives the same
bytes as a dump made before the injection.

Each case runs in a child process (this file with --child), which loops
over k and prints one JSON line before and after each injection, so that
a crash is seen as the child dying right after announcing k; the parent
then restarts the child past that k. The number of allocations of a dump
is found by the "from" scan itself: it stops when the injected dump
succeeds (no allocation from k on was needed).

    python alloc_failure.py --quick             # CI: bounded, a few minutes
    python alloc_failure.py --duration 1800     # soak: every k, every case
    python alloc_failure.py --cases 'lambda*' --protocols 5 -v

Prints a summary per scenario group: injections tried, crashes, hangs,
damaged (bytes differ afterwards), leaks (a refcount of the pickled object
or of its items changed across the injection), wrong (an injected dump that
"succeeded" with other bytes), and the exception types seen. A hang in
mode "from" is checked against `pickle.dumps` on the same object: CPython
3.11's eval loop spins forever when every allocation fails inside Python
code with an exception handler (copyreg._reduce_ex at protocols 0-1), and
such hangs are reported apart ("cpython"), not as failures.
"""
import argparse
import collections
import faulthandler
import gc
import fnmatch
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import types

HERE = os.path.abspath(__file__)
PROTOCOLS = (0, 1, 2, 3, 4, 5)
# Exceptions that mean a bug reached Python rather than an ordinary error.
CRASH_EXCEPTIONS = ("PanicException", "SystemError")


def have_nomemory():
    try:
        import _testcapi
    except ImportError:
        return False
    return hasattr(_testcapi, "set_nomemory") and hasattr(_testcapi, "remove_mem_hooks")


# --------------------------------------------------------------------------
# The corpus. Built in the child, where this file is __main__: module-level
# functions and classes here are then in __main__ and go by value.
# --------------------------------------------------------------------------

def build_corpus():
    """{name: (group, object)}."""
    import abc
    import collections as _collections
    import dataclasses
    import datetime
    import enum
    import fractions
    import functools
    import os.path
    import types
    import typing
    import weakref

    corpus = {}

    def add(group, name, obj):
        corpus[name] = (group, obj)

    # Plain data: what `_pickle` pickles, byte-identical.
    add("plain", "dict", {"a": 1, "b": [1, 2.5, None], 3: "three", (1, 2): b"x"})
    add("plain", "list", [1, -1, 2 ** 31, 2 ** 63, -(2 ** 70), 1.5, True, None, "s", b"b"])
    add("plain", "set", {1, 2, "three", (4, 5), frozenset({6})})
    add("plain", "tuple", (1, (2, (3, ())), "x" * 300, b"y" * 300))
    add("plain", "str", "h\u00e9llo w\u00f6rld \u2603 \U0001f600 \\ \n" * 20)
    add("plain", "bytes", bytes(range(256)) * 4)
    add("plain", "bigint", [2 ** 1000, -(3 ** 500), 10 ** 40])
    add("plain", "float", [0.0, -0.0, 1e308, float("inf"), 3.141592653589793])
    add("plain", "bytearray", bytearray(b"abc" * 100))
    shared = ["shared"]
    add("plain", "nested", {"x": [shared, shared, {"y": (shared, {1, 2})}], "z": [[[[1]]]]})
    add("plain", "stdlib_objects", [datetime.date(2020, 1, 2), fractions.Fraction(3, 7),
                                     _collections.OrderedDict(a=1), os.path.join, ValueError,
                                     _collections.Counter("abc"), range(5), slice(1, 2)])

    # Functions by value.
    add("functions", "lambda", lambda x, y=2: x * y + len(GLOBAL_LIST))

    def make_closure(n):
        offset = [n]

        def inner(x):
            return x + offset[0] + n
        return inner
    add("functions", "closure", make_closure(3))

    def make_recursive():
        def fact(n):
            return 1 if n <= 1 else n * fact(n - 1)
        return fact
    add("functions", "recursive", make_recursive())

    def annotated(a: int, b: "str" = "x", *args, c: float = 1.0, d=None, **kw) -> list:
        """A docstring."""
        return [a, b, c, d, os.path.sep]
    annotated.attribute = {"extra": 1}
    add("functions", "defaults_annotations", annotated)
    add("functions", "main_function", main_level_function)
    add("functions", "uses_submodule", uses_submodule)

    # Code objects and cells.
    add("code", "code_object", make_closure.__code__)
    add("code", "cell", make_closure(5).__closure__[0])

    def make_empty_cell():
        if False:
            x = None  # noqa: F841

        def g():
            return x  # noqa: F821
        return g.__closure__[0]
    add("code", "empty_cell", make_empty_cell())

    # Classes by value.
    class Plain:
        attr = 1

        def method(self):
            return self.attr

        @classmethod
        def cm(cls):
            return cls

        @staticmethod
        def sm():
            return 2

        @property
        def prop(self):
            return 3
    add("classes", "class_plain", Plain)

    class Slotted:
        __slots__ = ("a", "b")

        def __init__(self):
            self.a = 1
    add("classes", "class_slots", Slotted)

    class Base(abc.ABC):
        @abc.abstractmethod
        def run(self):
            pass

    class Impl(Base):
        def run(self):
            return 1
    Base.register(int)
    add("classes", "class_abc", [Base, Impl])

    class Outer:
        class Inner:
            value = 2
    add("classes", "class_nested", Outer)
    instance = Plain()
    instance.extra = [1, 2]
    add("classes", "instances", [instance, Plain(), MainClass(1)])
    add("classes", "slots_instance", [Slotted(), Slotted()])  # protocol 2 and up, as in pickle
    add("classes", "main_class", MainClass)

    T = typing.TypeVar("T")

    class GenericBox(typing.Generic[T]):
        pass
    add("classes", "generic_typevar", [GenericBox, T])

    # Enums.
    class Color(enum.Enum):
        RED = 1
        GREEN = 2
        ALIAS = 1
    add("enums", "enum", [Color, Color.GREEN])

    class Perm(enum.IntFlag):
        R = 4
        W = 2
        RW = 6
    add("enums", "intflag", [Perm, Perm.R | Perm.W])

    # Dataclasses.
    @dataclasses.dataclass
    class Point:
        x: int
        y: int = 0
        tags: list = dataclasses.field(default_factory=list)
    add("dataclasses", "dataclass", [Point, Point(1, 2)])

    # Dynamic modules.
    module = types.ModuleType("dynamic_mod")
    exec("import os\nX = 1\ndef f(a):\n    return a + X\nclass K:\n    pass\n", module.__dict__)
    add("modules", "dynamic_module", module)
    add("modules", "dynamic_module_function", module.f)
    add("modules", "importable_module", [os.path, types])

    # Methods, partials, descriptors and the smaller reducers.
    add("methods", "bound_method", instance.method)
    add("methods", "partial", functools.partial(annotated, 1, c=2.0))
    add("methods", "property", Plain.__dict__["prop"])
    add("methods", "class_static_method", [Plain.__dict__["cm"], Plain.__dict__["sm"]])
    add("methods", "mappingproxy", types.MappingProxyType({"a": 1}))
    views = {"k": 1, "j": 2}
    add("methods", "dict_views", [views.keys(), views.values(), views.items()])
    add("methods", "memoryview", memoryview(b"abcdef"))
    keep_alive = [Plain(), Plain()]
    if not hasattr(sys, "gettotalrefcount"):
        # Debian's debug CPython 3.11.2 fails its own assertion in
        # WeakSet.__iter__ under failing allocations (ceval.c: an error
        # return with no exception set), under pickle.dumps as well.
        add("methods", "weakset", [weakref.WeakSet(keep_alive), keep_alive])
    add("methods", "getset_descriptor", type(lambda: 0).__dict__["__code__"])
    add("methods", "dataclass_field_sentinel", dataclasses._FIELD)

    # dill's types (spec/overrides.toml, runtime/src/reducers/).
    import re
    import threading
    add("dill_types", "weak_references", [instance, weakref.ref(instance), weakref.proxy(instance),
                                          weakref.WeakValueDictionary({1: instance})])
    add("dill_types", "locks", [threading.Lock(), threading.RLock()])
    add("dill_types", "memoryview_cast", memoryview(bytearray(range(12))).cast("B", (3, 4)))
    add("dill_types", "regex_match", re.compile("(a)(b)?").search("xab"))
    add("dill_types", "lru_cache", functools.lru_cache(maxsize=4)(lambda x: x))
    return corpus


GLOBAL_LIST = [1, 2, 3]


def main_level_function(x):
    return x + len(GLOBAL_LIST)


def uses_submodule():
    import os
    return os.path.join("a", "b")


class MainClass:
    def __init__(self, v):
        self.v = v


# --------------------------------------------------------------------------
# Writers: how a case's object gets pickled. Each returns the pickle bytes.
# --------------------------------------------------------------------------

def make_picklers():
    import io

    import anethum

    class PersistentIds(anethum.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, str) and obj.startswith("h"):
                return "pid:" + obj[:3]
            return None

    class Override(anethum.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, float):
                return float, (repr(obj),)
            return NotImplemented

    class ClassTable(anethum.Pickler):
        dispatch_table = {complex: lambda c: (complex, (c.real, c.imag + 1))}

    class InstanceTable(anethum.Pickler):
        def __init__(self, file, protocol):
            super().__init__(file, protocol)
            import copyreg
            self.dispatch_table = copyreg.dispatch_table.copy()
            self.dispatch_table[frozenset] = lambda f: (frozenset, (sorted(f, key=repr),))

    def with_pickler(cls):
        def write(obj, proto):
            buffer = io.BytesIO()
            cls(buffer, proto).dump(obj)
            return buffer.getvalue()
        return write

    def made_before(cls):
        # The Pickler is made before the injection starts: on CPython 3.13.0
        # an instance attribute set under failing allocations (what this
        # __init__ does) corrupts the heap by itself, with a subclass of
        # pickle.Pickler or of a plain class alike.
        state = {}

        def prepare():
            state["buffer"] = io.BytesIO()
            state["pickler"] = cls(state["buffer"], state["proto"])

        def write(obj, proto):
            state["proto"] = proto
            if "pickler" not in state:
                prepare()
            try:
                state["pickler"].dump(obj)
                return state["buffer"].getvalue()
            finally:
                state.pop("pickler", None)
        write.prepare = prepare
        write.state = state
        return write

    import anethum.dill

    class DillDispatch(anethum.dill.Pickler):
        # A dill-style dispatch entry and a Python save override
        # (runtime/src/python_hooks.rs), as datasets' Hasher has.
        dispatch = {complex: lambda pickler, c: pickler.save_reduce(complex, (c.real, c.imag), obj=c)}

        def save(self, obj, save_persistent_id=True):
            anethum.dill.Pickler.save(self, obj, save_persistent_id)

    return {
        "pickler_dill_dispatch": with_pickler(DillDispatch),
        "pickler_persistent_id": with_pickler(PersistentIds),
        "pickler_reducer_override": with_pickler(Override),
        "pickler_class_dispatch_table": with_pickler(ClassTable),
        "pickler_instance_dispatch_table": made_before(InstanceTable),
        "pickler_plain": with_pickler(anethum.Pickler),
    }


def make_writer(name, proto, scratch):
    import io

    import anethum
    if name == "dumps":
        return lambda obj: anethum.dumps(obj, proto)
    if name == "pickle":
        # The control: the C pickler, under the same injections.
        import pickle
        return lambda obj: pickle.dumps(obj, proto)
    if name == "dump_bytesio":
        def write(obj):
            buffer = io.BytesIO()
            anethum.dump(obj, buffer, proto)
            return buffer.getvalue()
        return write
    if name == "dump_file":
        # The file is opened outside the injection (see `inject`).
        path = os.path.join(scratch, "dump.pickle")

        def write(obj, file=None):
            anethum.dump(obj, file, proto)
        write.path = path
        return write
    if name == "pickler_reused":
        # One Pickler for every dump. Its file is a plain list of chunks: a
        # BytesIO whose write() fails to grow is left closed (CPython's own
        # state, not anethum's).
        class Sink:
            def __init__(self):
                self.chunks = []

            def write(self, data):
                self.chunks.append(data)

        sink = Sink()
        pickler = anethum.Pickler(sink, proto)

        def prepare():
            sink.chunks = []

        def write(obj):
            pickler.clear_memo()
            pickler.dump(obj)

        write.prepare = prepare
        write.collect = lambda: b"".join(sink.chunks)
        return write
    pickler_write = make_picklers()[name]

    def write(obj):
        return pickler_write(obj, proto)
    if hasattr(pickler_write, "prepare"):
        pickler_write.state["proto"] = proto
        write.prepare = pickler_write.prepare
    return write


# Which objects each non-default writer is tried on (the rest use dumps).
EXTRA_WRITERS = {
    "dump_bytesio": ["dict", "lambda", "class_plain", "bytes", "enum"],
    "dump_file": ["nested", "closure", "dataclass", "str"],
    "pickler_plain": ["closure", "class_abc", "dynamic_module"],
    "pickler_reused": ["lambda", "dict", "enum"],
    "pickler_persistent_id": ["str", "lambda", "dict", "class_plain"],
    "pickler_reducer_override": ["float", "closure", "partial", "instances"],
    "pickler_class_dispatch_table": ["stdlib_objects", "lambda", "enum"],
    "pickler_instance_dispatch_table": ["set", "closure", "dataclass"],
}
# Objects that `pickle` itself only pickles from some protocol on.
MIN_PROTOCOL = {"slots_instance": 2, "dataclass": 2}
# The same for one writer: persistent ids of protocol 0 must be ASCII.
MIN_PROTOCOL_FOR = {("pickler_persistent_id", "str"): 1}


def min_protocol(case, writer):
    return max(MIN_PROTOCOL.get(case, 0), MIN_PROTOCOL_FOR.get((writer, case), 0))


# --------------------------------------------------------------------------
# The child: one case, one mode, k from `start` by `stride`.
# --------------------------------------------------------------------------

def emit(**record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def child(spec):
    import _testcapi
    set_nomemory = _testcapi.set_nomemory
    remove_hooks = _testcapi.remove_mem_hooks
    scratch = tempfile.mkdtemp(prefix="anethum-alloc-")
    corpus = build_corpus()
    obj = corpus[spec["case"]][1]
    writer = make_writer(spec["writer"], spec["proto"], scratch)
    to_file = spec["writer"] == "dump_file"
    path = getattr(writer, "path", None)
    prepare = getattr(writer, "prepare", lambda: None)
    collect = getattr(writer, "collect", None)

    def plain_dump():
        prepare()
        if collect is not None:
            writer(obj)
            return collect()
        if not to_file:
            return writer(obj)
        with open(path, "wb") as file:
            writer(obj, file)
        with open(path, "rb") as file:
            return file.read()

    # The first dump may differ (copyreg caches `__slotnames__` on a class
    # as it pickles an instance); from the second on it must be stable.
    plain_dump()
    baseline = plain_dump()
    if plain_dump() != baseline:
        emit(unstable=True)
        return
    # The object and its items, but not shared atoms (small ints, interned
    # strs) whose counts the interpreter itself moves.
    items = list(obj) if isinstance(obj, (list, tuple)) else list(obj.values()) if isinstance(obj, dict) else []
    atoms = (int, float, complex, str, bytes, bool, type(None), type, types.ModuleType)
    watched = [o for o in [obj] + items if not isinstance(o, atoms)]

    def refcounts():
        return [sys.getrefcount(o) for o in watched]

    gc.collect()
    counts = refcounts()
    mode, k, stride, stop = spec["mode"], spec["start"], spec["stride"], spec["stop"]
    deadline = spec["deadline"]
    while stop is None or k < stop:
        if deadline and time.time() > deadline:
            emit(deadline=True, k=k)
            return
        file = open(path, "wb") if to_file else None
        prepare()
        # A watchdog: a hang ends the child with the Python stack on stderr.
        faulthandler.dump_traceback_later(spec["hang_after"], exit=True)
        emit(trying=k)
        result = None
        error = None
        try:
            set_nomemory(k, 0 if mode == "from" else k + 1)
            try:
                if to_file:
                    writer(obj, file)
                else:
                    result = writer(obj)
            finally:
                remove_hooks()
        except BaseException as exc:  # noqa: B036 - PanicException is a BaseException
            error = exc
        faulthandler.cancel_dump_traceback_later()
        if file is not None:
            try:
                file.close()
            except Exception:
                pass
            if error is None:
                with open(path, "rb") as f:
                    result = f.read()
        elif collect is not None and error is None:
            result = collect()
        name = type(error).__name__ if error is not None else None
        detail = ""
        if error is not None and name != "MemoryError":
            detail = repr(error)[:300]
        del error
        try:
            after = plain_dump()
            damaged = after != baseline
            after_error = None
        except BaseException as exc:  # noqa: B036
            damaged = True
            after_error = "%s: %r" % (type(exc).__name__, exc)
        wrong = name is None and result != baseline
        del result
        leaked = refcounts() != counts
        if leaked:
            gc.collect()
            leaked = refcounts() != counts
        emit(k=k, exc=name, detail=detail, damaged=damaged, after_error=after_error, wrong=wrong,
             leaked=leaked)
        if name in CRASH_EXCEPTIONS or damaged:
            return  # the process state is no longer trustworthy
        if mode == "from" and name is None and not wrong:
            emit(done=k)
            return
        k += stride
    emit(done=None)


# --------------------------------------------------------------------------
# The parent.
# --------------------------------------------------------------------------

def all_cases(protocols, names=None):
    """(group, case, writer, proto) for every case, in corpus order."""
    groups = corpus_groups()
    out = []
    for case, group in groups.items():
        if names and not any(fnmatch.fnmatch(case, n) for n in names):
            continue
        for proto in protocols:
            if proto >= min_protocol(case, "dumps"):
                out.append((group, case, "dumps", proto))
    for writer, cases in EXTRA_WRITERS.items():
        group = "files" if writer.startswith("dump_") else "picklers"
        for case in cases:
            if names and not any(fnmatch.fnmatch(case, n) for n in names):
                continue
            for proto in protocols:
                if proto >= min_protocol(case, writer):
                    out.append((group, case, writer, proto))
    return out


def corpus_groups():
    # Ask a child once (the corpus is only built in a child).
    out = subprocess.run([sys.executable, HERE, "--list"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class Child:
    """One child process and a reader thread feeding its lines to a queue."""

    def __init__(self, spec, env):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, HERE, "--child", json.dumps(spec)],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return "timeout"
        return None if line is None else json.loads(line)

    def finish(self, kill=False):
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.seek(0)
        text = self.stderr.read()
        self.stderr.close()
        return self.proc.returncode, text


def hung_in(text):
    """The innermost Python frame ("file:function") of the stack the child's
    watchdog printed, "" if it printed none, None if it didn't fire."""
    if "Timeout (" not in text:
        return None
    lines = text[text.index("Timeout ("):].splitlines()
    for line in lines:
        line = line.strip()
        if line.startswith("File "):
            path = line.split('"')[1]
            function = line.rsplit(" in ", 1)[-1]
            return "%s:%s" % (path, function)
    return ""


def in_stdlib(frame):
    import sysconfig
    path = frame.rsplit(":", 1)[0]
    stdlib = sysconfig.get_paths()["stdlib"]
    return os.path.abspath(path).startswith(os.path.abspath(stdlib) + os.sep) and "site-packages" not in path


def stderr_summary(text):
    """The panic message and anethum frames of a child's stderr."""
    keep = []
    for line in text.splitlines():
        s = line.strip()
        if ("panicked at" in s or "PanicException" in s or "_anethum::" in s or "SystemError" in s
                or "Fatal Python error" in s or s.startswith("PyObject pointer")):
            keep.append(s)
        elif keep and keep[-1].endswith(":") and "panicked at" in keep[-1]:
            keep.append(s)
    return keep[:12]


class Stats:
    def __init__(self):
        self.tried = 0
        self.crashes = 0
        self.hangs = 0
        self.damaged = 0
        self.wrong = 0
        self.leaks = 0
        self.cpython_hangs = 0  # pickle.dumps hangs there too: CPython's loop, not anethum's
        self.exceptions = collections.Counter()
        self.allocations = []

    def bad(self):
        return self.crashes + self.hangs + self.damaged + self.wrong + self.leaks


def run_case(case, mode, start, stride, stop, deadline, timeout, env, report, verbose):
    """Runs one (case, mode) over k; returns the first k at which the
    injected dump succeeded (mode "from"), or None."""
    group, name, writer, proto = case
    stats = report[group]
    k = start
    while True:
        spec = {"case": name, "writer": writer, "proto": proto, "mode": mode, "start": k,
                "stride": stride, "stop": stop, "deadline": deadline, "hang_after": timeout}
        child = Child(spec, env)
        trying = None
        last_k = None
        outcome = None
        while True:
            record = child.next(timeout + 30)  # the child's own watchdog fires first
            if record == "timeout":
                outcome = "hang"
                break
            if record is None:
                outcome = "died"
                break
            if "trying" in record:
                trying = record["trying"]
                continue
            if "unstable" in record:
                outcome = "unstable"
                break
            if "deadline" in record:
                outcome = "deadline"
                break
            if "done" in record:
                outcome = ("done", record["done"])
                break
            trying = None
            last_k = record["k"]
            stats.tried += 1
            exc = record["exc"] or "ok"
            stats.exceptions[exc] += 1
            problem = None
            if exc in CRASH_EXCEPTIONS:
                stats.crashes += 1
                problem = "crash (%s)" % record["detail"]
            elif record["damaged"]:
                stats.damaged += 1
                problem = "damaged (next dump differs%s)" % (
                    ": " + record["after_error"] if record["after_error"] else "")
            elif record.get("leaked"):
                stats.leaks += 1
                problem = "leak (a refcount of the object or its items changed)"
            elif record["wrong"]:
                stats.wrong += 1
                problem = "wrong (succeeded with other bytes)"
            if problem or (verbose and exc not in ("MemoryError", "ok")):
                report.problems.append("%s/%s p%d %s k=%d: %s %s" % (
                    name, writer, proto, mode, record["k"], problem or exc, record["detail"]))
        code, text = child.finish(kill=outcome == "hang")
        hang_frame = hung_in(text)
        if hang_frame is not None:
            outcome = "hang"
        if outcome == "hang" and hang_frame and in_stdlib(hang_frame):
            # The child's watchdog found it spinning in the stdlib's Python
            # code: CPython 3.11's eval loop retries forever when even the
            # int for an exception handler's offset can't be made (it does
            # so under pickle.dumps too, in copyreg._reduce_ex at protocols
            # 0 and 1). Every later k of mode "from" hangs as well.
            stats.tried += 1
            stats.cpython_hangs += 1
            report.problems.append("%s/%s p%d %s k=%s: hang in CPython's %s (pickle.dumps hangs there too), "
                                   "not counted" % (name, writer, proto, mode, trying, hang_frame))
            return trying
        if outcome == "hang":
            stats.tried += 1
            stats.hangs += 1
            report.problems.append("%s/%s p%d %s k=%s: hang (no answer in %ss)" % (
                name, writer, proto, mode, trying, timeout))
        elif outcome == "died" and trying is not None:
            stats.tried += 1
            stats.crashes += 1
            report.problems.append("%s/%s p%d %s k=%d: crash (exit %s) %s" % (
                name, writer, proto, mode, trying, code, " | ".join(stderr_summary(text))))
        elif outcome == "died" and last_k is None:
            report.errors += 1
            report.problems.append("%s/%s p%d %s: child exited %s before injecting: %s" % (
                name, writer, proto, mode, code, text[-2000:]))
            return None
        elif outcome == "unstable":
            report.errors += 1
            report.problems.append("%s/%s p%d: two plain dumps differ; skipped" % (name, writer, proto))
            return None
        elif outcome == "deadline":
            report.out_of_time = True
            return None
        elif isinstance(outcome, tuple):
            return outcome[1]
        # Restart past the k that crashed, hung or damaged the state (after
        # a crash exception or damage the child stopped by itself).
        k = (trying if trying is not None else last_k) + stride
        if stop is not None and k >= stop:
            return None
        if deadline and time.time() > deadline:
            report.out_of_time = True
            return None


class Report(dict):
    def __missing__(self, key):
        self[key] = Stats()
        return self[key]


def run(quick=False, duration=None, protocols=None, names=None, max_per_mode=None, timeout=15,
        verbose=False, out=sys.stdout, shard=(0, 1)):
    """Runs the injections (every ``shard[1]``-th case from the
    ``shard[0]``-th); returns the Report (a dict group -> Stats, with
    `.problems`, a list of lines)."""
    report = Report()
    report.problems = []
    report.errors = 0  # cases that could not be run at all
    report.out_of_time = False
    env = dict(os.environ)
    env.setdefault("RUST_BACKTRACE", "1")
    env.pop("PYTHONMALLOC", None)  # set_nomemory hooks the default allocators
    start_time = time.time()
    deadline = start_time + duration if duration else None
    cases = all_cases(protocols or PROTOCOLS, names)
    if quick:
        if max_per_mode is None:
            max_per_mode = 40
        # Each case at two protocols, rotating so every protocol is covered.
        if protocols is None:
            chosen, seen = [], []
            for case in cases:
                if case[:3] not in seen:
                    seen.append(case[:3])
            for i, case in enumerate(seen):
                low = min_protocol(case[1], case[2])
                for proto in sorted({max(PROTOCOLS[i % 6], low), max(PROTOCOLS[(i + 3) % 6], low)}):
                    chosen.append(case + (proto,))
            cases = chosen
    # `shard=(i, n)`: every n-th case from the i-th (CI spreads the cases).
    cases = cases[shard[0]::shard[1]]
    for case in cases:
        if deadline and time.time() > deadline:
            report.out_of_time = True
            break
        group = case[0]
        # Mode "from" finds the number of allocations n; with a bound on the
        # injections per mode, k strides over [0, n).
        stride = 1
        if max_per_mode:
            # A first coarse scan for n, then k strides over it.
            coarse = run_case(case, "from", 0, 64, None, deadline, timeout, env, report, verbose)
            coarse = coarse if coarse is not None else 64
            stride = max(1, coarse // max_per_mode)
            n = run_case(case, "from", 0 if stride == 1 else stride // 2, stride, coarse + stride,
                         deadline, timeout, env, report, verbose)
            n = n if n is not None else coarse
        else:
            n = run_case(case, "from", 0, 1, None, deadline, timeout, env, report, verbose)
            n = n if n is not None else 0
        report[group].allocations.append(n)
        run_case(case, "only", 0 if stride == 1 else stride // 3, stride, n + 1,
                 deadline, timeout, env, report, verbose)
        if verbose:
            print("  %-16s %-26s %-32s p%d n=%-6d (%.0fs)" % (group, case[1], case[2], case[3], n,
                                                            time.time() - start_time), file=out, flush=True)
    report.seconds = time.time() - start_time
    print_summary(report, out)
    return report


def print_summary(report, out):
    print("\nallocation-failure injection: %.0fs%s" % (
        report.seconds, " (stopped at the time limit)" if report.out_of_time else ""), file=out)
    print("%-12s %8s %7s %5s %7s %5s %5s %7s  %s" % ("group", "tried", "crashes", "hangs", "damaged", "leaks",
                                                     "wrong", "cpython", "allocations per dump / outcomes"),
          file=out)
    total = Stats()
    for group, stats in report.items():
        allocs = stats.allocations
        span = "%d-%d" % (min(allocs), max(allocs)) if allocs else "-"
        outcomes = ", ".join("%s %d" % kv for kv in stats.exceptions.most_common())
        print("%-12s %8d %7d %5d %7d %5d %5d %7d  %s; %s" % (group, stats.tried, stats.crashes, stats.hangs,
                                                           stats.damaged, stats.leaks, stats.wrong,
                                                           stats.cpython_hangs, span, outcomes), file=out)
        for field in ("tried", "crashes", "hangs", "damaged", "leaks", "wrong", "cpython_hangs"):
            setattr(total, field, getattr(total, field) + getattr(stats, field))
    print("%-12s %8d %7d %5d %7d %5d %5d %7d" % ("total", total.tried, total.crashes, total.hangs,
                                                  total.damaged, total.leaks, total.wrong, total.cpython_hangs),
          file=out)
    print("(cpython: hangs where pickle.dumps hangs as well, CPython's own loop; not counted as failures)",
          file=out)
    if report.errors:
        print("%d case(s) could not be run (see problems)" % report.errors, file=out)
    if report.problems:
        print("\nproblems (%d):" % len(report.problems), file=out)
        for line in report.problems[:200]:
            print("  " + line, file=out)
    report.total = total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="bounded run for CI")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (soak)")
    parser.add_argument("--protocols", type=lambda s: [int(p) for p in s.split(",")])
    parser.add_argument("--cases", type=lambda s: s.split(","), help="glob patterns of corpus names")
    parser.add_argument("--max-per-mode", type=int, help="stride k so a case has at most this many injections per mode")
    parser.add_argument("--timeout", type=float, default=15, help="seconds without progress that count as a hang")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        print(json.dumps({name: group for name, (group, _) in build_corpus().items()}))
        return 0
    if args.child:
        child(json.loads(args.child))
        return 0
    if not have_nomemory():
        print("_testcapi.set_nomemory is not available in this Python", file=sys.stderr)
        return 2
    report = run(quick=args.quick, duration=args.duration, protocols=args.protocols, names=args.cases,
                 max_per_mode=args.max_per_mode, timeout=args.timeout, verbose=args.verbose)
    return 1 if report.total.bad() or report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
