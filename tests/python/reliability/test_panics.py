"""A Rust panic surfaces as pyo3's PanicException and the process goes on;
the one panic issue 8 found (a sort whose comparison called Python's `<`)
can't happen any more."""
import os
import subprocess
import sys
import textwrap

import anethum


def run(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_panic_is_an_exception_not_an_abort():
    proc = run("""
        import anethum
        from anethum import _anethum
        try:
            _anethum._panic_for_tests("boom")
        except BaseException as exc:
            print(type(exc).__name__, exc)
        print(anethum.dumps([1, 2], 2) == __import__("pickle").dumps([1, 2], 2))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["PanicException boom", "True"]


class Unordered:
    def __init__(self, i):
        self.i = i

    def __hash__(self):
        return self.i

    def __eq__(self, other):
        return isinstance(other, Unordered) and other.i == self.i

    def __lt__(self, other):
        raise TypeError("no order")


def test_class_dict_keys_without_a_total_order():
    proc = run("""
        import pickle, random
        import anethum

        class RandomOrder(str):
            __hash__ = str.__hash__
            def __lt__(self, other):
                return random.random() < 0.5
            __gt__ = __lt__

        C = type("C", (), {RandomOrder("k%d" % i): i for i in range(50)})
        for _ in range(50):
            D = pickle.loads(anethum.dumps(C))
        assert [getattr(D, "k%d" % i) for i in range(50)] == list(range(50))
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_class_dict_keys_that_do_not_order_at_all():
    C = type("C", (), {})
    for i in range(20):
        setattr(C, "a%d" % i, i)
    # keys of another type in a class dict are refused cleanly
    D = type("D", (), {Unordered(i): i for i in range(20)})
    try:
        anethum.dumps(D)
    except anethum.PicklingError as exc:
        assert "not a str" in str(exc)
    else:
        raise AssertionError("a class dict with non-str keys was pickled")
    assert anethum.dumps(C)
