"""Tracker ids never collide: two classes share an id only when their
pickled state is identical, and a load never changes a class that another
pickle (or the pickling process) made.

The scenario of the bug: one factory, two senders with different values,
one worker that loads both.
"""
import enum
import os
import pickle
import subprocess
import sys
import textwrap
import typing

import anethum

SENDER = textwrap.dedent("""
    import dataclasses, enum, sys, typing
    import anethum

    value = int(sys.argv[1])

    def make_class(v):
        class A:
            attr = v
            def get(self):
                return v
            def default(self, x=v):
                return x
        return A

    def make_enum(v):
        return enum.Enum("E", {"X": v, "Y": v + 100})

    def make_dataclass(v):
        @dataclasses.dataclass
        class D:
            x: int = v
        return D

    def make_attr_class(v):
        return type("T", (), {"payload": [v, str(v)]})

    def make_nested(v):
        inner = make_class(v)
        class Outer:
            kind = inner
        return Outer

    T = typing.TypeVar("T", bound=make_class(value))
    objs = (make_class(value), make_enum(value), make_dataclass(value),
            make_attr_class(value), make_nested(value), T)
    sys.stdout.buffer.write(anethum.dumps(objs, int(sys.argv[2])))
""")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))
    return env


def send(value, protocol=5, seed="0"):
    env = _env()
    env["PYTHONHASHSEED"] = seed
    return subprocess.run([sys.executable, "-c", SENDER, str(value), str(protocol)],
                          env=env, check=True, capture_output=True).stdout


def test_factory_classes_from_two_senders_stay_apart():
    for protocol in (2, 5):
        one = pickle.loads(send(1, protocol))
        two = pickle.loads(send(2, protocol))
        A1, E1, D1, T1, O1, V1 = one
        A2, E2, D2, T2, O2, V2 = two
        assert A1 is not A2
        assert (A1().get(), A2().get()) == (1, 2)
        assert (A1().default(), A2().default()) == (1, 2)
        assert (A1.attr, A2.attr) == (1, 2)
        assert (E1.X.value, E2.X.value) == (1, 2)
        assert E1(1) is E1.X and E2(2) is E2.X
        assert (D1().x, D2().x) == (1, 2)
        assert (T1.payload, T2.payload) == ([1, "1"], [2, "2"])
        assert (O1.kind().get(), O2.kind().get()) == (1, 2)
        assert (V1.__bound__().get(), V2.__bound__().get()) == (1, 2)
        # the first sender's classes were not touched by the second load
        assert A1().get() == 1 and E1.X.value == 1 and T1.payload == [1, "1"]


def test_same_content_from_two_senders_is_one_class():
    first = pickle.loads(send(3, seed="1"))
    second = pickle.loads(send(3, seed="2"))
    for a, b in zip(first, second):
        assert a is b


def test_same_class_gives_the_same_bytes_in_two_processes():
    assert send(4, seed="1") == send(4, seed="7")


def test_a_load_does_not_change_a_live_class():
    def make():
        class Live:
            x = 1
        return Live
    Live = make()
    data = anethum.dumps(Live)
    Live.x = 2
    assert pickle.loads(data) is Live
    assert Live.x == 2


def test_a_mutated_class_gets_a_new_id():
    def make():
        box = [1]
        class M:
            def get(self):
                return box[0]
        return M, box
    M, box = make()
    before = anethum.dumps(M)
    box[0] = 2
    after = anethum.dumps(M)
    assert before != after
    # both load back to the live class in this process...
    assert pickle.loads(before) is M and pickle.loads(after) is M
    # ...and to two distinct classes elsewhere, each with its own value.
    code = ("import pickle, sys; b = sys.stdin.buffer.read(); n = int(sys.argv[1]);"
            "A = pickle.loads(b[:n]); B = pickle.loads(b[n:]);"
            "assert A is not B; print(A().get(), B().get())")
    out = subprocess.run([sys.executable, "-c", code, str(len(before))], input=before + after,
                         env=_env(), check=True, capture_output=True).stdout
    assert out.split() == [b"1", b"2"]


def test_live_twins_load_as_themselves():
    def make():
        class Twin:
            def f(self):
                return 1
        return Twin
    one, two = make(), make()
    assert pickle.loads(anethum.dumps(one)) is one
    assert pickle.loads(anethum.dumps(two)) is two
    assert pickle.loads(anethum.dumps(one)) is one


def test_enum_members_and_class_identity_survive_a_round_trip():
    E = enum.Enum("E", "A B")
    again = pickle.loads(anethum.dumps(E))
    assert again is E and pickle.loads(anethum.dumps(E.B)) is E.B


def test_typevars_bound_to_different_classes_stay_apart():
    def make(v):
        class Bound:
            value = v
        return typing.TypeVar("T", bound=Bound)
    code = ("import pickle, sys; import anethum\n"
            "def make(v):\n"
            "    class Bound:\n"
            "        value = v\n"
            "    return __import__('typing').TypeVar('T', bound=Bound)\n"
            "sys.stdout.buffer.write(anethum.dumps(make(int(sys.argv[1]))))\n")
    blobs = [subprocess.run([sys.executable, "-c", code, str(v)], env=_env(),
                            check=True, capture_output=True).stdout for v in (1, 2)]
    one, two = (pickle.loads(b) for b in blobs)
    assert (one.__bound__.value, two.__bound__.value) == (1, 2)


CYCLE_SENDER = textwrap.dedent("""
    import sys
    import anethum

    def make(v):
        class A:
            pass
        class B:
            value = v
        A.partner, B.partner = B, A
        leaf = type("Leaf", (), {"value": v})
        chain = leaf
        for i in range(50):
            chain = type("Link%d" % i, (), {"inner": chain})
        return A, B, chain

    A, B, chain = make(int(sys.argv[1]))
    first = A if sys.argv[2] == "A" else B
    sys.stdout.buffer.write(anethum.dumps((first, A, B, chain), 5))
""")


def test_cycles_and_chains_of_classes_from_two_senders_stay_apart():
    def send_cycle(v, first):
        return subprocess.run([sys.executable, "-c", CYCLE_SENDER, str(v), first],
                              env=_env(), check=True, capture_output=True).stdout

    def leaf(chain):
        while hasattr(chain, "inner"):
            chain = chain.inner
        return chain

    for first in ("A", "B"):
        _, A1, B1, chain1 = pickle.loads(send_cycle(1, first))
        _, A2, B2, chain2 = pickle.loads(send_cycle(2, first))
        assert A1.partner is B1 and B1.partner is A1
        assert (A1.partner.value, A2.partner.value) == (1, 2)
        assert (leaf(chain1).value, leaf(chain2).value) == (1, 2)
        assert chain1 is not chain2
    # Which class comes first doesn't change the ids.
    assert pickle.loads(send_cycle(3, "A"))[1] is pickle.loads(send_cycle(3, "B"))[1]
