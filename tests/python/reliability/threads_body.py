"""Subprocess body for test_threads: dumps racing mutations, and one
Pickler shared by several threads.

Usage: threads_body.py MODE SECONDS
MODE: mutate | shared-pickler | types-lock
Prints one JSON line of counts at the end; any failure raises (exit 1),
a crash shows as a signal, a hang as the parent's timeout.
"""
import builtins
import io
import json
import pickle
import sys
import threading
import time
import types

import anethum

ORDINARY = (TypeError, pickle.PicklingError, ValueError, RecursionError,
            RuntimeError, AttributeError, KeyError, IndexError)


class Yielder:
    """A Python-level reducer: the GIL may change hands inside it."""

    def __init__(self, payload):
        self.payload = payload

    def __reduce__(self):
        time.sleep(0)
        return (Yielder, (self.payload,))


class WithState:
    def __init__(self, shared):
        self.shared = shared

    def __getstate__(self):
        time.sleep(0)
        return {"shared": self.shared}


def make_graph():
    shared_list = list(range(50))
    shared_dict = {"k%d" % i: i for i in range(50)}
    cls = type("Racing", (), {"a": 1, "items": shared_list})
    g = {"__name__": "racing_module", "x": 1, "data": shared_dict}
    exec("def f():\n    return x, data, y\n", g)
    graph = {
        "list": shared_list, "dict": shared_dict, "cls": cls, "f": g["f"],
        "inst": [cls() for _ in range(3)],
        "yielders": [Yielder(shared_list), Yielder(shared_dict)],
        "state": WithState(shared_list),
        "set": set(range(20)),
    }
    return graph, g


def mutator(graph, g, stop, counts):
    i = 0
    while not stop.is_set():
        i += 1
        lst, dct, cls, st = graph["list"], graph["dict"], graph["cls"], graph["set"]
        lst.append(i)
        if len(lst) > 60:
            del lst[:10]
        dct["n%d" % (i % 70)] = i
        dct.pop("n%d" % ((i + 35) % 70), None)
        setattr(cls, "attr%d" % (i % 5), [i])
        if i % 3 == 0:
            try:
                delattr(cls, "attr%d" % ((i + 2) % 5))
            except AttributeError:
                pass
        cls.a = i
        g["y"] = [i] if i % 2 else {"i": i}
        if i % 7 == 0:
            g.pop("y", None)
        g["x"] = i
        st.add(i % 40)
        st.discard((i + 20) % 40)
        counts["mutations"] += 1


def dumper(graph, stop, counts, errors, by_value):
    proto = 0
    while not stop.is_set():
        proto = (proto + 1) % (pickle.HIGHEST_PROTOCOL + 1)
        if proto < 2 and by_value:
            proto = 2
        # By reference only what pickle could pickle (not the class and
        # function made at run time); the containers are shared either way.
        obj = graph if by_value else {k: v for k, v in graph.items()
                                      if k not in ("cls", "f", "inst")}
        try:
            data = anethum.dumps(obj, proto, by_value=by_value)
        except ORDINARY as exc:
            assert str(exc), repr(exc)
            counts["raised"] += 1
            counts.setdefault(type(exc).__name__, 0)
            counts[type(exc).__name__] += 1
            continue
        except BaseException as exc:  # noqa: B902 - reported below
            errors.append(repr(exc))
            return
        try:
            loaded = pickle.loads(data)
            assert isinstance(loaded, dict) and set(loaded) == set(obj)
        except BaseException as exc:
            errors.append("load failed: %r" % (exc,))
            return
        counts["dumps"] += 1


def mode_mutate(seconds):
    graph, g = make_graph()
    stop = threading.Event()
    counts = {"dumps": 0, "raised": 0, "mutations": 0}
    errors = []
    threads = [threading.Thread(target=mutator, args=(graph, g, stop, counts))]
    for i in range(4):
        threads.append(threading.Thread(
            target=dumper, args=(graph, stop, counts, errors, i % 2 == 0)))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert counts["dumps"] > 0, counts
    return counts


class SharedPickler(anethum.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Yielder):
            time.sleep(0)
            return (Yielder, (obj.payload,))
        return NotImplemented


class ChunkFile:
    def __init__(self):
        self.chunks = []
        self.lock = threading.Lock()

    def write(self, data):
        time.sleep(0)
        with self.lock:
            self.chunks.append(bytes(data))
        return len(data)


def shared_dumper(pickler, obj, stop, counts, errors):
    while not stop.is_set():
        try:
            pickler.dump(obj)
            counts["dumps"] += 1
        except RuntimeError as exc:
            assert "dump()" in str(exc), exc
            counts["busy"] += 1
        except BaseException as exc:  # noqa: B902
            errors.append(repr(exc))
            return


def meddler(pickler, stop, counts, errors):
    """Touches the shared Pickler's other surface while dumps run."""
    i = 0
    while not stop.is_set():
        i += 1
        try:
            if i % 5 == 0:
                pickler.clear_memo()
            elif i % 5 == 1:
                len(pickler.memo.copy())
            elif i % 5 == 2:
                pickler.dispatch_table = {} if i % 2 else {int: None}
                del pickler.dispatch_table
            elif i % 5 == 3:
                pickler.fast = 1
            else:
                pickler.bin
            counts["meddles"] += 1
        except (RuntimeError, AttributeError):
            counts["meddle-busy"] += 1
        except BaseException as exc:  # noqa: B902
            errors.append("meddler: %r" % (exc,))
            return
        time.sleep(0)


def mode_shared_pickler(seconds):
    counts = {"dumps": 0, "busy": 0, "meddles": 0, "meddle-busy": 0}
    errors = []
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        f = ChunkFile()
        dumps_before = counts["dumps"]
        pickler = SharedPickler(f, proto)
        # Fast mode: no memo, so each pickle written stands alone.
        pickler.fast = 1
        obj = {"y": [Yielder(i) for i in range(20)], "n": list(range(100))}
        stop = threading.Event()
        threads = [threading.Thread(target=shared_dumper,
                                    args=(pickler, obj, stop, counts, errors))
                   for _ in range(4)]
        threads.append(threading.Thread(target=meddler,
                                        args=(pickler, stop, counts, errors)))
        for t in threads:
            t.start()
        time.sleep(seconds / (pickle.HIGHEST_PROTOCOL + 1))
        stop.set()
        for t in threads:
            t.join()
        assert not errors, errors
        # One write per dump (small pickles, one frame): each loads alone
        # and is what pickle writes.
        expected = pickle.loads(pickle.dumps(obj, proto))
        for chunk in f.chunks:
            loaded = pickle.loads(chunk)
            assert [y.payload for y in loaded["y"]] == [
                y.payload for y in expected["y"]]
            assert loaded["n"] == expected["n"]
        assert len(f.chunks) == counts["dumps"] - dumps_before, (
            len(f.chunks), counts)
    assert counts["dumps"] > 0, counts
    return counts


def mode_types_lock(seconds):
    """Classes of the `types` module go through a per-process cache whose
    first lookup runs module __getattr__: a hook there that pickles again
    (same thread) or lets another thread pickle must not deadlock."""
    counts = {"dumps": 0, "nested": 0}
    depth = threading.local()

    def hook(name):
        if not getattr(depth, "n", 0):
            depth.n = 1
            try:
                anethum.dumps(types.CellType)
                counts["nested"] += 1
            finally:
                depth.n = 0
        time.sleep(0.001)
        raise AttributeError(name)

    builtins.__getattr__ = hook
    try:
        stop = time.monotonic() + seconds
        errors = []

        def run():
            try:
                while time.monotonic() < stop:
                    for cls in (types.CellType, types.FunctionType,
                                types.CodeType, types.MethodType):
                        assert pickle.loads(anethum.dumps(cls)) is cls
                        counts["dumps"] += 1
            except BaseException as exc:  # noqa: B902
                errors.append(repr(exc))
        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
    finally:
        del builtins.__getattr__
    return counts


def main(mode, seconds):
    sys.setswitchinterval(1e-6)
    seconds = float(seconds)
    counts = {"mutate": mode_mutate, "shared-pickler": mode_shared_pickler,
              "types-lock": mode_types_lock}[mode](seconds)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    # Run as the importable module, so its classes pickle by reference.
    import threads_body
    threads_body.main(*sys.argv[1:])
