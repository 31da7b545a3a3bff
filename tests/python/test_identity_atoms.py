"""Byte identity for scalars: None, bool, int, float, complex, str, bytes."""
import math

import pytest

from helpers import assert_same_dumps_outcome, assert_same_pickle


def int_cases():
    cases = [0, 1, -1, 2, 127, 128, 255, 256, -255, -256, -257,
             65535, 65536, -65536, 2**31 - 1, 2**31, -2**31, -2**31 - 1,
             2**32 - 1, 2**32, 2**63 - 1, 2**63, -2**63, -2**63 - 1,
             2**64 - 1, 2**64, 10**100, -10**100, 2**1000, -2**1000]
    for j in range(1, 12):
        edge = 2 ** (8 * j - 1)
        cases += [edge - 1, edge, edge + 1, -edge, -edge - 1, -edge + 1]
    for bits in (8 * 255 - 1, 8 * 255, 8 * 256, 8 * 256 + 1):
        cases += [2 ** bits, -2 ** bits, 2 ** bits - 1, -2 ** bits - 1]
    return cases


INTS = int_cases()
FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e16, 1e22, 1e300, -1e300,
          5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
          math.pi, 123456789.0, float("inf"), float("-inf"), float("nan"),
          -float("nan"), float(2**53), float(2**53 + 1)]
COMPLEX = [0j, 1 + 2j, complex(-0.0, float("inf")), complex(float("nan"), 1)]
STRINGS = ["", "a", "abc", "\\", "\n", "\r", "\r\n", "\x1a", "\x00", "\t",
           "\\u0041", "\\U00012345", "\\x41", "a\\b\nc\rd\x1ae\x00",
           "\ud800", "\udfff", "a\udc80b", "\ud83d\ude00", "\U0001f600",
           "\u20ac", "é", "\x80\xff", "\u0100", "\uffff", "\U0010ffff",
           "x" * 255, "x" * 256, "é" * 128, "€" * 86, "x" * 65535,
           "x" * 65536, "x" * 70000, "\U0001f600" * 20000,
           "'", '"', "'\"", "(", ".", "V", "S'x'\n."]
BYTES = [b"", b"\x00", b"a", b"\xff" * 255, b"\xff" * 256, bytes(range(256)),
         b"\\\n\r\x1a", "é€".encode(), b"x" * 65535, b"x" * 65536,
         b"x" * 70000, b"x" * 200000]


def ids(values):
    out = []
    for v in values:
        if isinstance(v, int) and abs(v) > 2**64:
            out.append("%s2**%d" % ("-" if v < 0 else "", abs(v).bit_length()))
        else:
            out.append(("%r" % (v,))[:40])
    return out


@pytest.mark.parametrize("value", [None, True, False, ..., NotImplemented])
def test_singletons(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", INTS, ids=ids(INTS))
def test_int(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", FLOATS, ids=ids(FLOATS))
def test_float(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", COMPLEX, ids=ids(COMPLEX))
def test_complex(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", STRINGS, ids=ids(STRINGS))
def test_str(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", BYTES, ids=ids(BYTES))
def test_bytes(value, proto):
    assert_same_pickle(value, proto)


@pytest.mark.parametrize("value", BYTES, ids=ids(BYTES))
def test_bytearray(value, proto):
    assert_same_pickle(bytearray(value), proto)


def test_same_str_twice_is_memoized(proto):
    s = "shared string"
    assert_same_pickle([s, s, "shared" + " string"], proto)


def test_same_bytes_twice_is_memoized(proto):
    b = b"shared bytes"
    ba = bytearray(b)
    assert_same_pickle([b, b, ba, ba, bytes(bytearray(b))], proto)


def test_empty_bytes_shared(proto):
    assert_same_pickle([b"", b"", bytearray(), ""], proto)


def test_large_atoms_mixed_with_small(proto):
    big = b"B" * 70000
    assert_same_pickle(["a", big, 1, "b" * 70000, big, 2.5, -2**100], proto)


def test_int_subclass_values_not_confused_with_bool(proto):
    assert_same_pickle([1, True, 0, False, 1.0, 0.0], proto)


@pytest.mark.parametrize("value", [3 ** 20000, -(3 ** 20000)],
                         ids=["3**20000", "-3**20000"])
def test_int_beyond_str_digits_limit(value, proto):
    assert_same_dumps_outcome(value, proto)
