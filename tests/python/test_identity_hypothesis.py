"""Byte identity on generated graphs of plain data and simple instances.

Generated graphs may contain objects pickle refuses at some protocols
(slotted instances below protocol 2), so those tests accept "both raise
the same exception type" as well as identical bytes.
"""
import pytest
import hypothesis.strategies as st
from hypothesis import given, settings

import strategies as s
from helpers import PROTOCOLS, assert_same_dumps_outcome

pytestmark = pytest.mark.parametrize("proto", PROTOCOLS,
                                     ids=lambda p: "p%d" % p)


@given(s.nested)
def test_nested(proto, obj):
    assert_same_dumps_outcome(obj, proto)


@given(s.graphs)
def test_graphs_with_sharing_and_cycles(proto, obj):
    assert_same_dumps_outcome(obj, proto)


@settings(max_examples=15)
@given(st.sampled_from(s.BIG_KINDS), st.sampled_from(s.BATCH_SIZES), s.atoms)
def test_batch_boundaries(proto, kind, n, leaf):
    assert_same_dumps_outcome(s.big_container(kind, n, leaf), proto)


@settings(max_examples=8)
@given(st.sampled_from(s.HUGE_KINDS), st.integers(60, 200), s.atoms)
def test_frame_boundaries(proto, kind, n, small):
    big = s.huge_atom(kind, n)
    assert_same_dumps_outcome([small, big, small, big, [small]], proto)
