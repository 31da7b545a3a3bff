"""Byte identity for PickleBuffer (in-band and out-of-band) and numpy."""
import pickle

import pytest

import anethum
import objects
from helpers import (assert_same_dumps_outcome, assert_same_outcome,
                     assert_same_pickle, describe_buffers)

PB = pickle.PickleBuffer

BUFFER_SOURCES = {
    "bytes": lambda: b"abc" * 10,
    "empty-bytes": lambda: b"",
    "bytearray": lambda: bytearray(b"xyz" * 10),
    "big-bytes": lambda: b"B" * 70000,
    "big-bytearray": lambda: bytearray(b"b" * 70000),
    "memoryview-ro": lambda: memoryview(b"readonly data"),
    "memoryview-rw": lambda: memoryview(bytearray(b"writable")),
    "zerocopy-bytes": lambda: objects.ZeroCopyBytes(b"zc"),
    "zerocopy-bytearray": lambda: objects.ZeroCopyBytearray(b"zc"),
}


def wrap(name):
    src = BUFFER_SOURCES[name]()
    if name.startswith("zerocopy"):
        return src
    return PB(src)


@pytest.mark.parametrize("name", sorted(BUFFER_SOURCES))
def test_in_band(name, proto):
    assert_same_dumps_outcome(wrap(name), proto)


@pytest.mark.parametrize("name", sorted(BUFFER_SOURCES))
def test_out_of_band(name):
    assert_same_pickle([wrap(name), wrap(name)], 5, oob=True)


@pytest.mark.parametrize("name", sorted(BUFFER_SOURCES))
def test_callback_returning_true_keeps_in_band(name):
    obj = [wrap(name), 1]
    assert_same_pickle(obj, 5, buffer_callback=lambda buf: True)


def test_callback_selective():
    obj = [PB(b"keep me"), PB(bytearray(b"ship me")), PB(b"")]
    bufs = ([], [])

    def make(store):
        def callback(buf):
            store.append(buf)
            return len(store) % 2 == 0
        return callback

    exp = pickle.dumps(obj, 5, buffer_callback=make(bufs[0]))
    act = anethum.dumps(obj, 5, buffer_callback=make(bufs[1]))
    assert exp == act
    assert describe_buffers(bufs[0]) == describe_buffers(bufs[1])


def test_shared_pickle_buffer_memoized():
    pb = PB(bytearray(b"shared"))
    assert_same_pickle([pb, pb, (pb,)], 5)
    assert_same_pickle([pb, pb, (pb,)], 5, oob=True)


def test_non_contiguous():
    view = memoryview(bytearray(range(20)))[::2]
    for oob in (False, True):
        kw = {"buffer_callback": [].append} if oob else {}
        assert_same_outcome(lambda: pickle.dumps(PB(view), 5, **kw),
                            lambda: anethum.dumps(PB(view), 5, **kw))


def test_released_buffer():
    pb = PB(b"gone")
    pb.release()
    assert_same_dumps_outcome(pb, 5)


# Not a module-level importorskip, which would skip the PickleBuffer tests
# above too (numpy has no wheels for debug interpreters, for one).
try:
    import numpy
except ImportError:
    numpy = None
needs_numpy = pytest.mark.skipif(numpy is None, reason="numpy is not installed")

ARRAYS = {
    "int64": lambda: numpy.arange(100, dtype=numpy.int64),
    "float32-2d": lambda: numpy.ones((10, 7), dtype=numpy.float32),
    "fortran": lambda: numpy.asfortranarray(numpy.arange(30).reshape(5, 6)),
    "noncontig": lambda: numpy.arange(40)[::3],
    "empty": lambda: numpy.zeros(0),
    "scalar": lambda: numpy.float64(1.5),
    "bool": lambda: numpy.array([True, False]),
    "object": lambda: numpy.array([1, "a", None], dtype=object),
    "structured": lambda: numpy.zeros(3, dtype=[("a", "i4"), ("b", "f8")]),
    "big": lambda: numpy.arange(20000, dtype=numpy.float64),
    "readonly": lambda: numpy.frombuffer(b"\x01" * 64, dtype=numpy.uint8),
    "str": lambda: numpy.array(["ab", "cde"]),
}


@needs_numpy
@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_numpy_in_band(name, proto):
    assert_same_pickle(ARRAYS[name](), proto)


@needs_numpy
@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_numpy_out_of_band(name):
    arr = ARRAYS[name]()
    assert_same_pickle([arr, arr, {"again": arr}], 5, oob=True)
