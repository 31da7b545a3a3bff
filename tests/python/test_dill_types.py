"""The types dill covers beyond cloudpickle (issue 10, part 2): each one a
rule of spec/overrides.toml. Every one comes back as its own type, or is
refused with a PicklingError; none loads as something else."""
import array
import datetime
import functools
import logging
import pickle
import queue
import struct
import sys
import threading
import typing
import weakref

import pytest

import anethum
from by_value_support.roundtrip import PROTOCOLS, roundtrip, roundtrip_in_subprocess


class Thing:
    def __init__(self, n=1):
        self.n = n

    def method(self):
        return super()


# -- weak references ---------------------------------------------------------

def test_live_weakref_points_at_its_referent(protocol):
    thing = Thing()
    loaded_thing, ref = roundtrip([thing, weakref.ref(thing)], protocol)
    assert type(ref) is weakref.ReferenceType
    assert ref() is loaded_thing


def test_dead_weakref_stays_dead(protocol):
    ref = weakref.ref(Thing())
    loaded = roundtrip(ref, protocol)
    assert type(loaded) is weakref.ReferenceType and loaded() is None


def test_weakref_in_a_cycle(protocol):
    thing = Thing()
    thing.me = weakref.ref(thing)
    loaded = roundtrip(thing, protocol)
    assert loaded.me() is loaded


def test_live_weak_proxy_is_a_proxy_not_its_referent(protocol):
    thing = Thing(7)
    loaded_thing, proxy = roundtrip([thing, weakref.proxy(thing)], protocol)
    assert type(proxy) is weakref.ProxyType
    assert proxy.n == 7
    loaded_thing.n = 8
    assert proxy.n == 8


def test_callable_and_dead_proxies(protocol):
    def func():
        return 3
    loaded_func, proxy = roundtrip([func, weakref.proxy(func)], protocol)
    assert type(proxy) is weakref.CallableProxyType and proxy() == 3
    dead = roundtrip(weakref.proxy(Thing()), protocol)
    assert type(dead) is weakref.ProxyType
    with pytest.raises(ReferenceError):
        dead.n


def test_weak_dictionaries_keep_their_live_items(protocol):
    a, b = Thing(1), Thing(2)
    keys = weakref.WeakKeyDictionary({a: "a", b: "b"})
    values = weakref.WeakValueDictionary({"a": a, "b": b})
    la, lb, lkeys, lvalues = roundtrip([a, b, keys, values], protocol)
    assert type(lkeys) is weakref.WeakKeyDictionary and type(lvalues) is weakref.WeakValueDictionary
    assert dict(lkeys.items()) == {la: "a", lb: "b"}
    assert dict(lvalues.items()) == {"a": la, "b": lb}


# -- locks and what holds them -----------------------------------------------

def test_locks_come_back_new_and_unlocked(protocol):
    lock, rlock = threading.Lock(), threading.RLock()
    lock.acquire()
    rlock.acquire()
    try:
        loaded_lock, loaded_rlock, again = roundtrip([lock, rlock, lock], protocol)
    finally:
        lock.release()
        rlock.release()
    assert type(loaded_lock) is type(lock) and not loaded_lock.locked()
    assert type(loaded_rlock) is type(rlock)
    assert again is loaded_lock
    assert loaded_rlock.acquire(blocking=False)
    loaded_rlock.release()


def test_lock_pickles_by_reference_to_thread():
    data = anethum.dumps(threading.Lock(), 2)
    assert b"allocate_lock" in data and b"anethum" not in data


def test_queue_logging_handler_and_condition(protocol, tmp_path):
    q = queue.Queue()
    q.put("item")
    log_file = str(tmp_path / "log.txt")
    handler = logging.FileHandler(log_file, delay=True)
    handler.setLevel(logging.WARNING)
    condition = threading.Condition()
    lq, lhandler, lcondition = roundtrip([q, handler, condition], protocol)
    assert lq.get_nowait() == "item" and lq.empty()
    assert type(lhandler) is logging.FileHandler and lhandler.level == logging.WARNING
    lhandler.emit(logging.makeLogRecord({"msg": "from the copy", "levelno": logging.ERROR}))
    lhandler.close()
    with open(log_file) as f:
        assert "from the copy" in f.read()
    with lcondition:
        lcondition.notify_all()


def test_cached_property_class(protocol):
    def make():
        class Circle:
            def __init__(self, r):
                self.r = r

            @functools.cached_property
            def area(self):
                return 3 * self.r ** 2
        return Circle
    Circle = roundtrip(make(), protocol)
    assert Circle(2).area == 12


# -- objects pickle turns into another type -----------------------------------

@pytest.mark.parametrize("make", [
    lambda: memoryview(b"abcd"),
    lambda: memoryview(bytearray(b"abcdef")),
    lambda: memoryview(array.array("i", [1, 2, 3])),
    lambda: memoryview(bytearray(range(6))).cast("B", (2, 3)),
    lambda: memoryview(array.array("d", [1.5, 2.5]))[::-1],
], ids=["bytes", "bytearray", "int32", "2d", "strided"])
def test_memoryview_stays_a_memoryview(make, protocol):
    view = make()
    loaded = roundtrip(view, protocol)
    assert type(loaded) is memoryview
    assert (loaded.format, loaded.shape, loaded.readonly) == (view.format, view.shape, view.readonly)
    assert loaded.tolist() == view.tolist()


def test_memoryview_that_cannot_be_rebuilt_is_refused():
    view = memoryview(b"abcd").cast("B").cast("c")
    assert roundtrip(view).tobytes() == b"abcd"
    released = memoryview(b"ab")
    released.release()
    with pytest.raises(ValueError):
        anethum.dumps(released)


def test_memoryview_strict_mode_is_pickle():
    with pytest.raises(TypeError):
        pickle.dumps(memoryview(b"x"))
    with pytest.raises(TypeError):
        anethum.dumps(memoryview(b"x"), by_value=False)


def test_super_comes_back_as_super(protocol):
    thing = Thing(5)
    loaded = roundtrip(thing.method(), protocol)
    assert type(loaded) is super
    assert loaded.__thisclass__ is Thing and loaded.__self__.n == 5
    unbound = roundtrip(super(Thing), protocol)
    assert type(unbound) is super and unbound.__self__ is None


@pytest.mark.skipif(sys.version_info < (3, 14), reason="super pickles from 3.14 (gh-125767)")
def test_super_has_pickles_bytes_from_314(protocol):
    obj = Thing().method()
    assert anethum.dumps(obj, protocol) == pickle.dumps(obj, protocol)


def test_classmethod_descriptor_is_itself(protocol):
    for descriptor in [dict.__dict__["fromkeys"], bytes.__dict__["fromhex"]]:
        assert roundtrip(descriptor, protocol) is descriptor


def test_classmethod_descriptor_strict_mode_is_pickle(protocol):
    # pickle refuses it from 3.10 and pickles the bound method before.
    descriptor = dict.__dict__["fromkeys"]
    try:
        expected = pickle.dumps(descriptor, protocol)
    except TypeError:
        with pytest.raises(TypeError):
            anethum.dumps(descriptor, protocol, by_value=False)
    else:
        assert anethum.dumps(descriptor, protocol, by_value=False) == expected


# -- capsules, struct --------------------------------------------------------

def test_capsule_by_its_name(protocol):
    capsule = datetime.datetime_CAPI
    assert roundtrip(capsule, protocol) is capsule


def test_capsule_its_name_does_not_find_is_refused():
    ctypes = pytest.importorskip("ctypes")
    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    capsule = new(1, b"nowhere.to_be_found", None)
    with pytest.raises(pickle.PicklingError, match="nowhere.to_be_found"):
        anethum.dumps(capsule)


def test_struct(protocol):
    loaded = roundtrip(struct.Struct("<iq"), protocol)
    assert type(loaded) is struct.Struct and loaded.format == "<iq" and loaded.size == 12


# -- code-shaped objects from __main__ ---------------------------------------

def make_cached_functions():
    @functools.lru_cache(maxsize=32)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    @functools.lru_cache(maxsize=None, typed=True)
    def double(x):
        return 2 * x
    return fib, double


def test_lru_cache_goes_by_value(protocol):
    fib, double = make_cached_functions()
    fib(10)
    lfib, ldouble = roundtrip([fib, double], protocol)
    assert lfib(20) == 6765
    assert lfib.cache_parameters() == {"maxsize": 32, "typed": False}
    assert ldouble.cache_parameters() == {"maxsize": None, "typed": True}
    assert lfib.cache_info().currsize > 0 and lfib.__wrapped__.__name__ == "fib"


def test_lru_cache_in_a_fresh_process(protocol):
    fib, _ = make_cached_functions()
    roundtrip_in_subprocess(fib, """
        assert obj(30) == 832040
        assert obj.cache_parameters()["maxsize"] == 32
    """, protocol)


def test_importable_lru_cache_keeps_pickles_bytes(protocol):
    import fnmatch
    cached = fnmatch._compile_pattern if hasattr(fnmatch, "_compile_pattern") else None
    if cached is None or not hasattr(cached, "cache_info"):
        pytest.skip("no importable lru_cache function in fnmatch here")
    assert anethum.dumps(cached, protocol) == pickle.dumps(cached, protocol)


def test_singledispatch_function(protocol):
    def make():
        @functools.singledispatch
        def show(x):
            return "object"

        @show.register
        def _(x: int):
            return "int"
        show(1.5)  # fills the dispatch cache (a WeakKeyDictionary)
        return show
    show = roundtrip(make(), protocol)
    assert (show(1), show("a"), show(2.5)) == ("int", "object", "object")


def test_functional_typed_dict(protocol):
    Movie = typing.TypedDict("Movie", {"title": str, "year": int})
    loaded = roundtrip(Movie, protocol)
    assert loaded(title="t", year=1) == {"title": "t", "year": 1}
    assert loaded.__annotations__ == {"title": str, "year": int}
    assert loaded.__required_keys__ == frozenset({"title", "year"})


def test_functional_typed_dict_in_a_fresh_process(protocol):
    Movie = typing.TypedDict("Movie", {"title": str}, total=False)
    roundtrip_in_subprocess(Movie, """
        assert obj(title="x") == {"title": "x"}
        assert obj.__total__ is False and obj.__optional_keys__ == frozenset({"title"})
    """, protocol)


# -- stretch: csv dialects, regex matches, cmp_to_key ------------------------

def test_csv_dialect(protocol):
    import csv
    dialect = csv.get_dialect("excel-tab")
    loaded = roundtrip(dialect, protocol)
    assert type(loaded) is type(dialect)
    assert (loaded.delimiter, loaded.quotechar, loaded.lineterminator) == ("\t", '"', "\r\n")


@pytest.mark.parametrize("how", ["search", "match", "fullmatch", "finditer"])
def test_regex_match_is_found_again(how, protocol):
    import re
    pattern = re.compile(r"(a+)(b)?")
    text = "xaab aaa ab"
    if how == "finditer":
        found = list(pattern.finditer(text))[1]
    elif how == "search":
        found = pattern.search(text, 2)
    else:
        found = getattr(pattern, how)("aab" if how == "fullmatch" else text[1:])
    loaded = roundtrip(found, protocol)
    assert type(loaded) is re.Match
    assert (loaded.regs, loaded.string, loaded.re) == (found.regs, found.string, found.re)


def test_cmp_to_key_and_its_keys(protocol):
    def by_length(a, b):
        return len(a) - len(b)
    key = functools.cmp_to_key(by_length)
    if sys.version_info < (3, 10):
        # 3.9's KeyWrapper reports nothing to gc: its function is out of reach.
        with pytest.raises(pickle.PicklingError, match="out of reach"):
            anethum.dumps(key, protocol)
        return
    loaded_key, loaded_wrapped = roundtrip([key, key("abc")], protocol)
    assert sorted(["ccc", "a", "bb"], key=loaded_key) == ["a", "bb", "ccc"]
    assert loaded_wrapped.obj == "abc" and loaded_wrapped < loaded_key("abcd")


# -- files, in anethum.dill's fmode ------------------------------------------

def test_files_as_dill_handles(tmp_path):
    import io
    import os
    import anethum.dill as dill
    path = tmp_path / "data.txt"
    path.write_text("hello world")
    readers = [open(path), open(path, "rb"), open(path, "rb", buffering=0)]
    for f in readers:
        f.read(5)
    writer = open(tmp_path / "out.txt", "a")
    closed = open(path)
    closed.close()
    try:
        for fmode in (dill.HANDLE_FMODE, dill.CONTENTS_FMODE, dill.FILE_FMODE):
            loaded = dill.loads(dill.dumps(readers + [writer, closed], fmode=fmode))
            try:
                assert [type(f) for f in loaded] == [type(f) for f in readers + [writer, closed]]
                expected = 0 if fmode == dill.HANDLE_FMODE else 5
                assert [f.tell() for f in loaded[:3]] == [expected] * 3
                assert loaded[4].closed and not loaded[3].closed
                loaded[3].write("!")
            finally:
                for f in loaded:
                    f.close()
        assert (tmp_path / "out.txt").read_text() == "!!!"
    finally:
        for f in readers + [writer]:
            f.close()


def test_write_mode_file_is_not_truncated_in_contents_fmode(tmp_path):
    import anethum.dill as dill
    path = tmp_path / "w.txt"
    f = open(path, "w")
    f.write("kept")
    f.flush()
    blob = dill.dumps(f, fmode=dill.CONTENTS_FMODE)
    f.close()
    loaded = dill.loads(blob)
    loaded.write("+more")
    loaded.close()
    assert path.read_text() == "kept+more"


def test_default_mode_keeps_cloudpickles_file_rules(tmp_path):
    path = tmp_path / "x.txt"
    with open(path, "w") as f:
        with pytest.raises(pickle.PicklingError):
            anethum.dumps(f)
    with open(path, "rb") as f:
        with pytest.raises(TypeError):
            anethum.dumps(f)


def test_member_descriptors_are_themselves(protocol):
    # pickle reduces them to getattr(type, name): the value, not the descriptor
    for name in ["__mro__", "__basicsize__", "__flags__"]:
        descriptor = type.__dict__[name]
        assert roundtrip(descriptor, protocol) is descriptor


def test_slot_member_descriptor_keeps_pickles_bytes():
    import fractions
    descriptor = fractions.Fraction.__dict__["_numerator"]
    for proto_ in range(pickle.HIGHEST_PROTOCOL + 1):
        assert anethum.dumps(descriptor, proto_) == pickle.dumps(descriptor, proto_)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="_thread._ThreadHandle is 3.13+")
@pytest.mark.skipif(sys.version_info >= (3, 14),
                    reason="from 3.14 a Thread holds a contextvars.Context, which doesn't pickle yet")
def test_thread_handles_as_dill_saves_them(protocol):
    import anethum.dill as dill
    fresh = threading.Thread(target=len, args=("x",))
    done = threading.Thread(target=len, args=("x",))
    done.start()
    done.join()
    for thread in (fresh, done):
        thread._stderr = sys.__stderr__   # not pytest's capture, which can't pickle
    loaded_fresh, loaded_done = dill.loads(dill.dumps([fresh, done], protocol))
    assert type(loaded_fresh._handle) is type(fresh._handle)
    assert loaded_done._handle.is_done() and not loaded_fresh._handle.is_done()
