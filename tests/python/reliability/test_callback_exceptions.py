"""Every Python callback the pickler makes, made to raise at its 1st, 2nd,
n-th call, with ordinary and non-ordinary exceptions.

For each case: the very exception instance raised comes out (notes may be
added), with pickle's type where pickle can pickle the graph and the same
number of calls; no reference is left behind; and the same Pickler object
then dumps good data to pickle's bytes.  Run through ``anethum.dumps``,
``anethum.dump`` and ``anethum.Pickler`` subclasses.
"""
import copyreg
import gc
import io
import pickle
import sys
import time

import pytest

import anethum
import soak_knob

PROTOCOLS = tuple(range(pickle.HIGHEST_PROTOCOL + 1))
NTH = (1, 2, 3)
LEAVES = 4


class CustomError(Exception):
    pass


EXCEPTIONS = {
    "ValueError": ValueError,
    "CustomError": CustomError,
    "KeyboardInterrupt": KeyboardInterrupt,
    "SystemExit": SystemExit,
    "MemoryError": MemoryError,
    "RecursionError": RecursionError,
}


class Trigger:
    """Counts calls; the n-th raises a fresh instance of ``exc_type``."""

    def __init__(self, exc_type, nth):
        self.exc_type, self.nth = exc_type, nth
        self.calls = 0
        self.raised = None

    def __call__(self):
        self.calls += 1
        if self.calls == self.nth:
            self.raised = self.exc_type("raised at call %d" % self.calls)
            raise self.raised


# The trigger of the case running now (the classes below are importable, so
# pickle can pickle them by reference; they find the trigger here).
CURRENT = [None]


def fire():
    if CURRENT[0] is not None:
        CURRENT[0]()


class Leaf:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is type(self) and other.value == self.value

    __hash__ = None


class ReduceExLeaf(Leaf):
    def __reduce_ex__(self, protocol):
        fire()
        return (ReduceExLeaf, (self.value,))


class ReduceLeaf(Leaf):
    def __reduce__(self):
        fire()
        return (ReduceLeaf, (self.value,))


class GetstateLeaf(Leaf):
    def __getstate__(self):
        fire()
        return {"value": self.value}


class GetnewargsExLeaf(Leaf):
    def __new__(cls, value=None):
        return object.__new__(cls)

    def __getnewargs_ex__(self):
        fire()
        return (self.value,), {}


class GetnewargsLeaf(Leaf):
    def __new__(cls, value=None):
        return object.__new__(cls)

    def __getnewargs__(self):
        fire()
        return (self.value,)


class TableLeaf(Leaf):
    """Reduced by a dispatch table (class-level, per-instance or copyreg)."""


def table_reducer(obj):
    fire()
    return (TableLeaf, (obj.value,))


class CopyregLeaf(Leaf):
    pass


def copyreg_reducer(obj):
    fire()
    return (CopyregLeaf, (obj.value,))


copyreg.pickle(CopyregLeaf, copyreg_reducer)


class HookedKey(str):
    """A str key whose hash, equality and ordering call back."""

    def __hash__(self):
        fire()
        return str.__hash__(self)

    def __eq__(self, other):
        fire()
        return str.__eq__(self, other)

    def __lt__(self, other):
        fire()
        return str.__lt__(self, other)

    def __reduce__(self):
        return (HookedKey, (str(self),))


class HookedElement:
    def __init__(self, value):
        self.value = value

    def __hash__(self):
        fire()
        return hash(self.value)

    def __eq__(self, other):
        fire()
        return type(other) is type(self) and other.value == self.value

    def __lt__(self, other):
        fire()
        return self.value < other.value

    def __reduce__(self):
        return (HookedElement, (self.value,))


class HookedMeta(type):
    """Classes whose hash/eq call back: the dispatch-table lookup by type."""

    def __hash__(cls):
        fire()
        return type.__hash__(cls)

    def __eq__(cls, other):
        fire()
        return cls is other


class HookedMetaInstance(metaclass=HookedMeta):
    def __init__(self, value=0):
        self.value = value

    def __eq__(self, other):
        return type(other) is type(self) and other.value == self.value

    __hash__ = None


class Writer:
    def __init__(self):
        self.chunks = []

    def write(self, data):
        fire()
        self.chunks.append(bytes(data))
        return len(data)

    def getvalue(self):
        return b"".join(self.chunks)


def buffer_callback(buf):
    fire()
    return False


def leaves(cls):
    return [cls(i) for i in range(LEAVES - 1)] + [{"k": cls(LEAVES - 1)}]


def buffers():
    return [pickle.PickleBuffer(b"ro%d" % i) for i in range(LEAVES - 1)] + [
        {"k": pickle.PickleBuffer(bytearray(b"rw"))}]


def big():
    # Several 64 KiB frames, so `write` is called more than once (protocol 4+).
    return [("s%d" % i) * 40 for i in range(2000)]


def raising_reduce_global():
    raise AssertionError("never called")


class RaisingGlobal:
    def __reduce__(self):
        fire()
        return (RaisingGlobal, ())


def by_value_function():
    """A function pickled by value whose globals hold reducers that fire."""
    namespace = {"held": [RaisingGlobal() for _ in range(LEAVES)],
                 "__name__": "not_importable_module"}
    exec("def f():\n    return held\n", namespace)
    return namespace["f"]


def class_with_hooked_keys():
    ns = {HookedKey("zeta"): 1, HookedKey("alpha"): 2,
          HookedKey("mid"): [ReduceLeaf(1), ReduceLeaf(2)]}
    return type("DynamicHooked", (), ns)


class Scenario:
    """``make()`` returns (obj, where): ``where`` says which hook to set.

    entries: which entry points can reach the hook.  pickle_ok: pickle
    pickles the graph too (then its outcome and call count are compared).
    fires: the hook is known to be called (else it may legitimately not be).
    """

    def __init__(self, name, make, entries=("dumps", "dump", "pickler"),
                 pickle_ok=True, protocols=PROTOCOLS, fires=True,
                 namespace=None, setup=None, file=False, buffers=False,
                 swallowed_by_digest=False):
        self.name, self.make, self.entries = name, make, entries
        self.pickle_ok, self.protocols, self.fires = pickle_ok, protocols, fires
        self.namespace = namespace or {}
        self.setup, self.file, self.buffers = setup, file, buffers
        self.swallowed_by_digest = swallowed_by_digest


def persistent_id(self, obj):
    if isinstance(obj, Leaf):
        fire()
    return None


def reducer_override(self, obj):
    if isinstance(obj, Leaf):
        fire()
    return NotImplemented


def instance_table(p):
    table = copyreg.dispatch_table.copy()
    table[TableLeaf] = table_reducer
    p.dispatch_table = table


SCENARIOS = [
    Scenario("persistent_id", lambda: leaves(Leaf), entries=("pickler",),
             namespace={"persistent_id": persistent_id}),
    Scenario("reducer_override", lambda: leaves(Leaf), entries=("pickler",),
             namespace={"reducer_override": reducer_override}),
    Scenario("dispatch_table-class", lambda: leaves(TableLeaf),
             entries=("pickler",),
             namespace={"dispatch_table": {TableLeaf: table_reducer}}),
    Scenario("dispatch_table-instance", lambda: leaves(TableLeaf),
             entries=("pickler",), setup=instance_table),
    Scenario("copyreg", lambda: leaves(CopyregLeaf)),
    Scenario("__reduce_ex__", lambda: leaves(ReduceExLeaf)),
    Scenario("__reduce__", lambda: leaves(ReduceLeaf)),
    Scenario("__getstate__", lambda: leaves(GetstateLeaf)),
    Scenario("__getnewargs_ex__", lambda: leaves(GetnewargsExLeaf),
             protocols=(2, 3, 4, 5)),
    Scenario("__getnewargs__", lambda: leaves(GetnewargsLeaf),
             protocols=(2, 3, 4, 5)),
    Scenario("write", big, entries=("dump", "pickler"), file=True),
    Scenario("buffer_callback", buffers, protocols=(5,), buffers=True),
    Scenario("dict-keys", lambda: [{HookedKey("b%d" % i): i for i in range(3)},
                                   {HookedKey("a"): 1}], fires=False),
    Scenario("set-elements",
             lambda: [{HookedElement(i) for i in range(3)},
                      frozenset(HookedElement(i) for i in range(3, 6))],
             fires=False),
    Scenario("metaclass-hash", lambda: [HookedMetaInstance(i)
                                        for i in range(LEAVES)],
             fires=False),
    Scenario("class-dict-keys", lambda: [class_with_hooked_keys()],
             pickle_ok=False, protocols=(2, 3, 4, 5),
             swallowed_by_digest=True),
    Scenario("by-value-globals", lambda: [by_value_function()],
             pickle_ok=False),
]


def good_data():
    """Fresh objects only (no globals, no shared constants), so that what
    a failed dump left in the memo can't be hit."""
    text = "".join(["th", "ree"])
    return {text + "!": [1, 2.5, text, (5, None, 2 ** 70)],
            text + "?": [[], {}, ((),)]}


def make_pickler_class(base, scenario):
    return type("Hooked" + base.__name__, (base,), dict(scenario.namespace))


def run_once(module, entry, scenario, obj, proto, file):
    """One dump through ``module`` (anethum or pickle); returns (pickler or
    None, exception or None)."""
    kw = {"buffer_callback": buffer_callback} if scenario.buffers else {}
    pickler = None
    try:
        if entry == "dumps":
            module.dumps(obj, proto, **kw)
        elif entry == "dump":
            module.dump(obj, file, proto, **kw)
        else:
            cls = make_pickler_class(module.Pickler, scenario)
            pickler = cls(file, proto, **kw)
            if scenario.setup is not None:
                scenario.setup(pickler)
            pickler.dump(obj)
    except BaseException as exc:
        return pickler, exc.with_traceback(None)
    return pickler, None


def memo_size(pickler):
    memo = pickler.memo
    return len(memo.copy() if hasattr(memo, "copy") else memo)


def check_reuse(pickler, proto):
    """The Pickler that failed dumps good data to pickle's bytes."""
    f = io.BytesIO()
    # The memo survives a failed dump, as in pickle: the reference pickler
    # gets as many (unrelated) entries, so PUT ids line up.
    fillers = [object() for _ in range(memo_size(pickler))]
    reference = pickle.Pickler(f, proto)
    reference.memo = {id(x): (i, x) for i, x in enumerate(fillers)}
    reference.dump(good_data())
    out = io.BytesIO()
    CURRENT[0] = None
    pickler.__init__(out, proto)
    # __init__ again starts over: a fresh memo; compare with a fresh pickle.
    pickler.dump(good_data())
    assert out.getvalue() == pickle.dumps(good_data(), proto)


def check_reuse_same_memo(pickler, proto, file, name):
    """Without __init__: the next dump() of the same Pickler works."""
    fillers = [object() for _ in range(memo_size(pickler))]
    f = io.BytesIO()
    reference = pickle.Pickler(f, proto)
    reference.memo = {id(x): (i, x) for i, x in enumerate(fillers)}
    reference.dump(good_data())
    before = len(file.getvalue())
    CURRENT[0] = None
    pickler.dump(good_data())
    assert file.getvalue()[before:] == f.getvalue(), name


def new_file(scenario):
    return Writer() if scenario.file else io.BytesIO()


def expect_same_raise(trigger, exc, scenario, proto, by_value=True):
    __tracebackhide__ = True
    if trigger.raised is None:
        assert exc is None, "nothing raised by the hook, but %r" % (exc,)
        return
    if (exc is None and scenario.swallowed_by_digest
            and isinstance(trigger.raised, Exception)):
        # The class digest behind tracker ids reads the class dict keys
        # (sorting them); when that fails it falls back to a uuid4 id on
        # purpose (anethum.loaders._new_tracker_id): the dump goes on.
        return
    assert exc is not None, "%s p%d: the hook raised %r, the dump did not" % (
        scenario.name, proto, trigger.raised)
    if exc is trigger.raised:
        return
    # By value, a RecursionError becomes anethum.PicklingRecursionError
    # (as cloudpickle raises), chained to the original.
    if (by_value and isinstance(trigger.raised, RecursionError)
            and isinstance(exc, RecursionError)
            and exc.__cause__ is trigger.raised):
        return
    raise AssertionError("%s p%d: %r came out instead of %r"
                         % (scenario.name, proto, exc, trigger.raised))


def tracked(obj, scenario):
    objs = [obj] + (list(obj) if isinstance(obj, list) else [])
    for item in list(objs[1:]):
        if isinstance(item, dict):
            objs.extend(item.values())
            objs.extend(item.keys())
        elif isinstance(item, (set, frozenset)):
            objs.extend(item)
    return [o for o in objs if owned(o)]


def owned(obj):
    """Not a shared singleton, small int or interned str others may move."""
    if obj is None or isinstance(obj, (bool, type)):
        return False
    if type(obj) is int and -5 <= obj <= 256:
        return False
    if sys.getrefcount(obj) > 10 ** 8:
        return False
    return not (type(obj) is str and sys.intern(obj) is obj)


def refcounts(objs, collect=False):
    if collect:
        gc.collect()
    return [sys.getrefcount(o) for o in objs]


def moved(objs, before):
    """Objects whose count moved; gc runs only if one seems to have."""
    after = refcounts(objs)
    if after != before:
        after = refcounts(objs, collect=True)
    return [(type(o).__name__, b, a)
            for o, b, a in zip(objs, before, after) if a != b]


def run_case(entry, scenario, exc_type, nth, proto):
    obj = scenario.make()
    objs = tracked(obj, scenario)
    before = refcounts(objs, collect=True)

    trigger = Trigger(exc_type, nth)
    CURRENT[0] = trigger
    file = new_file(scenario)
    try:
        pickler, exc = run_once(anethum, entry, scenario, obj, proto, file)
    finally:
        CURRENT[0] = None
    expect_same_raise(trigger, exc, scenario, proto)
    if scenario.fires and nth == 1:
        assert trigger.calls >= 1, "%s was never called" % scenario.name
    calls, raised = trigger.calls, trigger.raised is not None
    if exc is None:
        data = file.getvalue() if entry != "dumps" else None
        if data is not None:
            loaded = pickle.loads(data) if not scenario.buffers else None
            if loaded is not None and scenario.pickle_ok:
                assert loaded == obj or scenario.name in (
                    "set-elements", "dict-keys", "metaclass-hash")

    if scenario.pickle_ok:
        ref_trigger = Trigger(exc_type, nth)
        CURRENT[0] = ref_trigger
        try:
            ref_pickler, ref_exc = run_once(
                pickle, entry, scenario, obj, proto,
                                  new_file(scenario))
        finally:
            CURRENT[0] = None
        assert (ref_exc is None) == (exc is None), (
            "%s p%d: pickle gave %r, anethum %r"
            % (scenario.name, proto, ref_exc, exc))
        assert ref_trigger.calls == calls, (
            "%s p%d: pickle called the hook %d times, anethum %d"
            % (scenario.name, proto, ref_trigger.calls, calls))
        del ref_trigger, ref_exc, ref_pickler

    if pickler is not None:
        check_reuse_same_memo(pickler, proto, file,
                              "%s p%d" % (scenario.name, proto))
        check_reuse(pickler, proto)
    del exc, pickler, trigger, file
    changed = moved(objs, before)
    assert not changed, "%s p%d: refcounts moved: %r" % (
        scenario.name, proto, changed)
    return raised


CASES = soak_knob.my_share([(entry, s) for s in SCENARIOS for entry in s.entries])
COUNTS = {"cases": 0, "raised": 0}


@pytest.mark.parametrize("entry,scenario", CASES,
                         ids=["%s-%s" % (e, s.name) for e, s in CASES])
def test_callback_raises(entry, scenario):
    """Short form: every exception type, every n-th call and every
    protocol, the exception types taken in turn over the (n, protocol)
    pairs; soak: the full product, over and over until the deadline."""
    stop = soak_knob.deadline(0)
    types = list(EXCEPTIONS.values())
    for _ in range(soak_knob.repeats(1)):
        combos = [(nth, proto) for nth in NTH for proto in scenario.protocols]
        if soak_knob.soaking():
            runs = [(t, n, p) for t in types for n, p in combos]
        else:
            runs = [(types[i % len(types)], n, p)
                    for i, (n, p) in enumerate(combos)]
            # Fewer pairs than types: the rest at the 1st call.
            runs += [(t, 1, scenario.protocols[-1])
                     for t in types[len(combos):]]
        for exc_type, nth, proto in runs:
            COUNTS["raised"] += run_case(entry, scenario, exc_type, nth,
                                         proto)
            COUNTS["cases"] += 1
        if time.monotonic() >= stop:
            break


def test_counts_reported():
    # A line for the log: how many cases ran (`-s` shows it).
    print("callback cases: %(cases)d, of which raised: %(raised)d" % COUNTS)
