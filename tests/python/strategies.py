"""Hypothesis strategies for nested plain data, sharing and cycles."""
import hypothesis.strategies as st

import objects

INT_EDGES = sorted({s * (2 ** b + d) for b in (7, 8, 15, 16, 31, 32, 63, 64)
                    for d in (-1, 0, 1) for s in (1, -1)}
                   | {-(2 ** (8 * j - 1)) + d for j in range(1, 12)
                      for d in (-1, 0, 1)})
SPECIAL_CHARS = ["\ud800", "\udfff", "\U0001f600", "\\", "\n", "\r", "\x1a",
                 "\x00", "é", "\u20ac", "'", '"', "\x80"]
SPECIAL_FLOATS = [float("nan"), -0.0, 0.0, float("inf"), float("-inf")]

ints = st.one_of(st.integers(-300, 300), st.sampled_from(INT_EDGES),
                 st.integers(-2 ** 70, 2 ** 70),
                 st.integers(-2 ** 2100, 2 ** 2100))
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(SPECIAL_FLOATS))
chars = st.one_of(st.sampled_from(SPECIAL_CHARS),
                  st.integers(0, 0x10FFFF).map(chr),
                  st.characters(min_codepoint=32, max_codepoint=126))
text = st.lists(chars, max_size=24).map("".join)
binary = st.binary(max_size=48)

hashable_atoms = st.one_of(st.none(), st.booleans(), ints, floats, text,
                           binary)
keys = st.one_of(hashable_atoms,
                 st.lists(hashable_atoms, max_size=3).map(tuple),
                 st.frozensets(hashable_atoms, max_size=3))
atoms = st.one_of(hashable_atoms, binary.map(bytearray))


def tuples_of(children):
    return st.lists(children, max_size=5).map(tuple)


def instances(children):
    return st.one_of(
        st.builds(lambda v: objects.Plain(value=v), children),
        st.builds(objects.MyList, st.lists(children, max_size=4)),
        st.builds(objects.MyDict, st.dictionaries(keys, children,
                                                  max_size=3)),
        st.builds(objects.MyTuple, st.lists(children, max_size=3)),
        st.builds(objects.MySet, st.sets(keys, max_size=3)),
        st.builds(objects.MyInt, ints),
        st.builds(objects.MyStr, text),
        st.builds(objects.Reduce2, children, children),
        st.builds(objects.Reduce3, children),
        st.builds(objects.GetState, children),
        st.builds(objects.Slots, children, children),
        st.builds(lambda a, kw: objects.GetNewArgsEx(*a, **kw),
                  st.lists(hashable_atoms, max_size=2),
                  st.dictionaries(st.sampled_from("abc"), hashable_atoms,
                                  max_size=2)),
        st.builds(objects.StateSetter,
                  st.dictionaries(st.sampled_from("xyz"), children,
                                  max_size=2)),
        st.builds(lambda a, b: objects.ReduceItems(a, b),
                  st.lists(children, max_size=3),
                  st.lists(st.tuples(keys, children), max_size=3)),
        st.builds(objects.Pair, children, children),
    )


def extend(children):
    return st.one_of(
        st.lists(children, max_size=6),
        tuples_of(children),
        st.dictionaries(keys, children, max_size=5),
        st.sets(keys, max_size=5),
        st.frozensets(keys, max_size=5),
        instances(children),
    )


nested = st.recursive(atoms, extend, max_leaves=25)


def share(value):
    return [value, (value, value), {"again": value}]


def list_cycle(value):
    lst = [value]
    lst.append(lst)
    return lst


def dict_cycle(value):
    d = {"value": value}
    d["self"] = d
    return d


def tuple_cycle(value):
    lst = [value]
    t = (lst, value)
    lst.append(t)
    return t


def object_cycle(value):
    p = objects.Plain(value=value)
    p.me = [p, (p,)]
    return p


graphs = st.one_of(
    nested,
    nested.map(share),
    st.sampled_from([list_cycle, dict_cycle, tuple_cycle, object_cycle])
    .flatmap(lambda make: nested.map(make)),
    st.lists(nested, min_size=2, max_size=4).map(
        lambda vs: [vs, share(vs[0]), list_cycle(vs[-1])]),
)

BATCH_SIZES = [999, 1000, 1001, 1999, 2000, 2001, 3001]
BIG_KINDS = ["list", "dict", "set", "tuple", "frozenset"]
HUGE_KINDS = ["bytes", "bytearray", "str-ascii", "str-euro"]


def big_container(kind, n, leaf):
    """Built inside the test so hypothesis only reprs (kind, n, leaf)."""
    if kind == "list":
        return [leaf if i % 7 == 0 else i for i in range(n)]
    if kind == "dict":
        return {i: leaf for i in range(n)}
    if kind == "set":
        return set(range(n)) | {str(leaf)[:5]}
    if kind == "tuple":
        return tuple([leaf] * n)
    return frozenset(range(n))


def huge_atom(kind, n):
    """An atom of n * ~1 KiB, crossing the 64 KiB frame size for n > 64."""
    if kind == "bytes":
        return b"b" * (n * 1024)
    if kind == "bytearray":
        return bytearray(n * 1024)
    if kind == "str-ascii":
        return "s" * (n * 1024)
    return "\u20ac" * (n * 342)
