"""Bad input raises the same exception type as pickle, and never crashes."""
import io
import pickle
import sys
import threading

import pytest

import anethum
import bad_objects as bad
import objects
from helpers import (assert_same_dumps_outcome, assert_same_error,
                     assert_same_outcome, pickler_pair)

GARBAGE_REDUCE = {
    "int": 42,
    "none": None,
    "empty-tuple": (),
    "1-tuple": (objects.Reduce2,),
    "7-tuple": (objects.Reduce2, (), None, None, None, None, None),
    "non-callable": (42, ()),
    "non-tuple-args": (objects.Reduce2, [1, 2]),
    "none-args": (objects.Reduce2, None),
    "listitems-not-iterator": (objects.Reduce2, (), None, [1, 2]),
    "dictitems-not-iterator": (objects.Reduce2, (), None, None, {1: 2}),
    "dictitems-not-pairs": (objects.Reduce2, (), None, None, iter([1, 2])),
    "state-setter-not-callable": (objects.Reduce2, (), {"a": 1}, None, None,
                                  42),
    "unknown-global": "no_such_name",
    "global-wrong-object": "Plain",
    "newobj-no-args": (__import__("copyreg").__newobj__, ()),
    "newobj-not-class": (__import__("copyreg").__newobj__, (42,)),
    "newobj-ex-bad-args": (__import__("copyreg").__newobj_ex__,
                           (objects.Plain, 1, {})),
    "newobj-ex-bad-kwargs": (__import__("copyreg").__newobj_ex__,
                             (objects.Plain, (), 1)),
}


@pytest.mark.parametrize("name", sorted(GARBAGE_REDUCE))
def test_reduce_returning_garbage(name, proto):
    assert_same_dumps_outcome(bad.BadReduce(GARBAGE_REDUCE[name]), proto)


@pytest.mark.parametrize("obj", [
    bad.RaisingReduce(), bad.RaisingReduceEx(), bad.RaisingGetstate(),
    [1, bad.RaisingReduce()], {"k": (bad.RaisingReduce(),)},
], ids=["reduce", "reduce_ex", "getstate", "in-list", "in-dict-tuple"])
def test_hook_raises(obj, proto):
    exc = assert_same_error(obj, proto)
    assert isinstance(exc, bad.CustomError)


def local_class():
    class Local:
        pass
    return Local


UNPICKLABLE = {
    "lock": threading.Lock(),
    "generator": (i for i in range(3)),
    "lambda": lambda: None,
    "local-class": local_class(),
    "local-instance": local_class()(),
    "module": pickle,
    "memoryview": memoryview(b"x"),
    "rlock": threading.RLock(),
    "nested-global-name": objects.NestedGlobalName(),
    "frame": __import__("sys")._getframe(),
}


# What pickle refuses but anethum pickles by value (by default).
BY_VALUE = {"lambda", "local-class", "local-instance", "module", "memoryview", "lock", "rlock"}


@pytest.mark.parametrize("name", sorted(UNPICKLABLE))
def test_unpicklable(name, proto):
    assert_same_error(UNPICKLABLE[name], proto, by_value=False)
    if name not in BY_VALUE:
        assert_same_error(UNPICKLABLE[name], proto)


@pytest.mark.parametrize("name", sorted(UNPICKLABLE))
def test_unpicklable_nested(name, proto):
    obj = [1, {"x": (UNPICKLABLE[name],)}]
    assert_same_error(obj, proto, by_value=False)
    if name not in BY_VALUE:
        assert_same_error(obj, proto)
        with pytest.raises(Exception) as info:
            anethum.dumps(obj, proto)
        notes = getattr(info.value, "__notes__", [])
        if sys.version_info >= (3, 14):
            # pickle's own notes, one per level (compared with pickle's
            # above), instead of anethum's one-line path.
            assert notes[-3:] == ["when serializing tuple item 0", "when serializing dict item 'x'",
                                  "when serializing list item 1"], notes
        else:
            assert any("obj[1]['x'][0]" in note for note in notes), notes


@pytest.mark.parametrize("name", sorted(BY_VALUE))
def test_by_value_instead_of_error(name, proto):
    if proto < 2 and name == "local-instance":
        pytest.skip("instances of by-value classes need protocol 2 (NEWOBJ)")
    data = anethum.dumps([UNPICKLABLE[name]], proto)
    assert len(pickle.loads(data)) == 1


def raising_pid(self, obj):
    if isinstance(obj, objects.Persistent):
        raise bad.CustomError("pid failed")
    return None


def dump_through(cls, obj, proto, file=None):
    cls(file if file is not None else io.BytesIO(), proto).dump(obj)


def test_persistent_id_raises(proto):
    pair = pickler_pair("RaisingPers", persistent_id=raising_pid)
    obj = [1, objects.Persistent("k")]
    exc = assert_same_outcome(lambda: dump_through(pair[0], obj, proto),
                              lambda: dump_through(pair[1], obj, proto))
    assert isinstance(exc, bad.CustomError)


def test_persistent_id_unpicklable_pid(proto):
    pair = pickler_pair("BadPid", persistent_id=lambda self, obj: (
        (i for i in ()) if isinstance(obj, objects.Persistent) else None))
    obj = [objects.Persistent("k")]
    assert_same_outcome(lambda: dump_through(pair[0], obj, proto),
                        lambda: dump_through(pair[1], obj, proto))


def test_reducer_override_raises(proto):
    def override(self, obj):
        if isinstance(obj, objects.Point):
            raise bad.CustomError("override failed")
        return NotImplemented
    pair = pickler_pair("Override", reducer_override=override)
    obj = [objects.Point(1, 2)]
    assert_same_outcome(lambda: dump_through(pair[0], obj, proto),
                        lambda: dump_through(pair[1], obj, proto))


class RaisingWriter:
    def write(self, data):
        raise bad.CustomError("write failed")


class NoWrite:
    pass


@pytest.mark.parametrize("file", [RaisingWriter(), NoWrite(), 42, None,
                                  io.StringIO()],
                         ids=["raising", "no-write", "int", "none", "text"])
def test_bad_file(file, proto):
    def run(cls):
        return lambda: dump_through(cls, [1, "x" * 100], proto, file)
    assert_same_outcome(run(pickle.Pickler), run(anethum.Pickler))


def test_closed_file(proto):
    f = io.BytesIO()
    f.close()
    assert_same_outcome(lambda: pickle.dump(1, f, proto),
                        lambda: anethum.dump(1, f, proto))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("protocol", [6, 100, "x", 1.0, 2**70, -2**70])
def test_bad_protocol(protocol):
    assert_same_dumps_outcome([1], protocol)
    assert_same_outcome(lambda: dump_through(pickle.Pickler, [1], protocol),
                        lambda: dump_through(anethum.Pickler, [1], protocol))


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4])
def test_buffer_callback_needs_protocol_5(protocol):
    assert_same_error([1], protocol, buffer_callback=[].append)


def test_buffer_callback_raises():
    def callback(buf):
        raise bad.CustomError("callback failed")
    exc = assert_same_error(pickle.PickleBuffer(b"x"), 5,
                            buffer_callback=callback)
    assert isinstance(exc, bad.CustomError)


def test_buffer_callback_not_callable():
    assert_same_error(pickle.PickleBuffer(b"x"), 5, buffer_callback=42)


def test_pickler_init_not_called(proto):
    def init(self, *args):
        pass
    pair = pickler_pair("NoInit", __init__=init)
    assert_same_outcome(lambda: pair[0](io.BytesIO()).dump(1),
                        lambda: pair[1](io.BytesIO()).dump(1))


@pytest.mark.parametrize("table", [42, {objects.Point: 42},
                                   {objects.Point: lambda p: 42}],
                         ids=["not-mapping", "not-callable", "bad-result"])
def test_bad_dispatch_table(table, proto):
    pair = pickler_pair("BadTable", dispatch_table=table)
    obj = [objects.Point(1, 2)]
    assert_same_outcome(lambda: dump_through(pair[0], obj, proto),
                        lambda: dump_through(pair[1], obj, proto))


@pytest.mark.parametrize("how", ["grow", "clear"])
@pytest.mark.parametrize("kind", [list, dict, set])
def test_container_mutated_during_pickling(kind, how, proto):
    results = []
    for dumps in (pickle.dumps, anethum.dumps):
        target = kind()
        items = [bad.Mutator(target, how)] + list(range(5))
        if kind is dict:
            target.update(enumerate(items))
        elif kind is set:
            target.update(items)
        else:
            target.extend(items)
        try:
            results.append(dumps(target, proto))
        except Exception as exc:
            assert str(exc)
            results.append(type(exc))
    assert results[0] == results[1]
