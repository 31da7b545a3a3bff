"""Dynamic classes pickle to the same bytes in every process and under
every hash seed: their tracker ids are digests of their definitions, not
random (cloudpickle's ids are uuid4, so its two determinism tests are
marked xfail)."""
import os
import subprocess
import sys
import textwrap

import pytest

import anethum

SCRIPT = textwrap.dedent('''
    import dataclasses, enum, sys, typing
    import anethum

    class A:
        """Class with potential string interning issues."""
        arg_1 = "class_value"
        def join(self):
            pass
        def test_method(self, arg_1, join):
            pass

    class Color(enum.Enum):
        RED = 1
        GREEN = 2
        def mix(self, other):
            return self.value + other.value

    @dataclasses.dataclass
    class Point:
        x: int
        y: int = 0
        tags: tuple = ("a", "b", "c")

    T = typing.TypeVar("T", bound=int)

    def make():
        class Twin:
            def f(self):
                return 1
        return Twin

    obj = (A, Color, Point, T, make(), make(), [A(), Color.GREEN, Point(1, 2)])
    sys.stdout.write(anethum.dumps(obj, 5).hex())
''')


def run(code, seed, stdin=None):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          input=stdin, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_same_bytes_across_processes_and_hash_seeds():
    outputs = {run(SCRIPT, seed) for seed in (0, 1, 4242)}
    assert len(outputs) == 1


def test_twins_get_distinct_ids_and_load_as_distinct_classes():
    data = bytes.fromhex(run(SCRIPT, 0))
    loaded = run("import pickle, sys; import anethum\n"
                 "obj = pickle.loads(bytes.fromhex(sys.stdin.read()))\n"
                 "twin1, twin2 = obj[4], obj[5]\n"
                 "print(twin1 is not twin2, twin1().f(), obj[6][0].__class__ is obj[0],"
                 " obj[6][1] is obj[1].GREEN)", 0, stdin=data.hex())
    assert loaded.split() == ["True", "1", "True", "True"]


def test_chained_pickling_gives_the_same_bytes():
    # Loaded elsewhere and pickled again: the class keeps its tracker id
    # and its sorted namespace, so the bytes are the same.
    first = run(SCRIPT, 0)
    again = run("import pickle, sys; import anethum\n"
                "obj = pickle.loads(bytes.fromhex(sys.stdin.read()))\n"
                "sys.stdout.write(anethum.dumps(obj[0], 5).hex())", 1, stdin=first)
    direct = run(SCRIPT.replace("anethum.dumps(obj, 5)", "anethum.dumps(A, 5)"), 2)
    assert again == direct


def test_ids_differ_when_definitions_differ():
    from anethum.loaders import get_or_create_tracker_id

    def make(value):
        class Same:
            attr = value
        return Same

    one, other, twin = make(1), make(2), make(1)
    ids = {get_or_create_tracker_id(c) for c in (one, other, twin)}
    assert len(ids) == 3
    assert get_or_create_tracker_id(twin).startswith(get_or_create_tracker_id(one))


ROUND_TRIP_SCRIPT = textwrap.dedent('''
    import dataclasses, pickle, subprocess, sys
    import anethum

    WORKER = (
        "import pickle, sys, anethum\\n"
        "func = pickle.loads(sys.stdin.buffer.read())\\n"
        "sys.stdout.buffer.write(anethum.dumps(func(), %d))\\n")

    def run(func, protocol):
        done = subprocess.run([sys.executable, "-c", WORKER % protocol],
                              input=anethum.dumps(func, protocol), capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        return pickle.loads(done.stdout)

    class Counter:
        def __init__(self):
            self.count = 0
        def increment(self):
            self.count += 1
            return self

    @dataclasses.dataclass
    class Sample:
        x: int
        y: int = 0
        def again(self):
            return self

    for protocol in (2, 5):
        if sys.argv[1] == "plain":
            back = run(Counter().increment().increment, protocol)
            assert type(back) is Counter and back.count == 2, (protocol, type(back))
        else:
            back = run(Sample(1).again, protocol)
            assert type(back) is Sample and back == Sample(1), (protocol, type(back))
    print("ok")
''')


def round_trip_through_a_worker(tmp_path, kind):
    # A script (so `__file__` is its code objects' co_filename) whose class
    # goes to a fresh interpreter and comes back: the worker's pickle of it
    # must digest to the sender's id.
    script = tmp_path / "main_script.py"
    script.write_text(ROUND_TRIP_SCRIPT)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))
    done = subprocess.run([sys.executable, str(script), kind], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_class_sent_to_a_worker_and_back_is_the_senders(tmp_path):
    # The strings the sender shares with its code objects (`__file__`,
    # `__static_attributes__`) are not shared in the pickle.
    round_trip_through_a_worker(tmp_path, "plain")


@pytest.mark.xfail(strict=False, reason="the digest depends on which equal strings are one object: "
                   "dataclass field names are co_names' interned strings in the sender, not in the worker")
def test_dataclass_sent_to_a_worker_and_back_is_the_senders(tmp_path):
    round_trip_through_a_worker(tmp_path, "dataclass")
