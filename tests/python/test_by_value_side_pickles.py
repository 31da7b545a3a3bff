"""A class's tracker id digests a side pickle of its state, whose bytes the
main pickle reuses where it can (runtime/src/by_value/splice.rs). Reused or
pickled again, the output must be the same bytes: this compares the two on
graphs that take each branch (reused; declined for a shared object, a hook,
a protocol-dependent reduction, a nested class, an earlier by-value
function)."""
import abc
import dataclasses
import enum
import io
import pickle

import pytest
from hypothesis import given, strategies as st

import anethum
from anethum import _anethum

try:
    import numpy
except ImportError:  # the debug interpreter has no numpy wheels
    numpy = None


def make_graphs():
    shared = [1, 2, 3]

    class Plain:
        attr = shared
        def method(self):
            return Plain

    class Slotted:
        __slots__ = ("a", "b")
        def __init__(self):
            self.a, self.b = 1, 2

    class Abstract(abc.ABC):
        @abc.abstractmethod
        def f(self):
            ...

    class Concrete(Abstract):
        def f(self):
            return 1

    class Color(enum.Enum):
        RED = 1
        GREEN = 2
        def mix(self):
            return Color.RED

    @dataclasses.dataclass
    class Data:
        x: int = 1
        y: list = dataclasses.field(default_factory=list)

    class Outer:
        class Inner:
            value = 2
        kind = Inner

    class WithBytes:
        raw = bytearray(b"abc")
        view = b"xyz" * 100

    class WithCustomReduce:
        class Payload:
            def __reduce_ex__(self, protocol):
                return (str, ("protocol %d" % protocol,))
        payload = Payload()

    def helper(x):
        return x + 1

    class UsesHelper:
        def go(self):
            return helper(1)

    graphs = {
        "plain": Plain,
        "plain_and_shared_list_first": [shared, Plain],
        "plain_and_shared_list_after": [Plain, shared],
        "instances": [Plain(), Plain(), Slotted(), Slotted()],
        "abc": [Abstract, Concrete, Concrete()],
        "enum": [Color, Color.GREEN],
        "dataclass": [Data, Data(2, [3])],
        "nested_class": Outer,
        "bytes_attrs": WithBytes,
        "custom_reduce_ex": WithCustomReduce,
        "function_then_class": [helper, UsesHelper],
        "class_then_function": [UsesHelper, helper],
        "lambda_then_class": [lambda: 1, Plain],
        "two_classes": [Plain, Concrete, Plain, Data],
        "dict_of_classes": {"a": Plain, "b": [Color.RED, Outer.Inner]},
    }
    if numpy is not None:
        class WithArray:
            array = numpy.arange(100)
        graphs["numpy_attr"] = WithArray
    return graphs


GRAPHS = make_graphs()


def outcome(dump):
    try:
        return dump()
    except Exception as exc:  # the same failure either way is fine too
        return type(exc)


def both_ways(dump):
    old = _anethum._set_side_pickle_reuse(True)
    try:
        reused = outcome(dump)
        _anethum._set_side_pickle_reuse(False)
        again = outcome(dump)
    finally:
        _anethum._set_side_pickle_reuse(old)
    return reused, again


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_reused_state_is_the_same_bytes(name, protocol):
    graph = GRAPHS[name]
    reused, again = both_ways(lambda: anethum.dumps(graph, protocol))
    assert reused == again
    if protocol >= 2:
        pickle.loads(reused)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_reused_state_is_the_same_bytes_with_a_file_and_hooks(name):
    graph = GRAPHS[name]

    class WithHooks(anethum.Pickler):
        def reducer_override(self, obj):
            return NotImplemented

    def to_file(cls, **kw):
        def dump():
            out = io.BytesIO()
            cls(out, 5, **kw).dump(graph)
            return out.getvalue()
        return dump

    for dump in (to_file(anethum.Pickler), to_file(WithHooks),
                 to_file(anethum.Pickler, buffer_callback=lambda b: True)):
        reused, again = both_ways(dump)
        assert reused == again


@given(st.lists(st.sampled_from(sorted(GRAPHS)), min_size=1, max_size=6),
       st.sampled_from([2, 4, 5]))
def test_any_mix_gives_the_same_bytes(names, protocol):
    graph = [GRAPHS[name] for name in names]
    reused, again = both_ways(lambda: anethum.dumps(graph, protocol))
    assert reused == again
