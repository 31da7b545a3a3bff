"""Subprocess body for test_adversarial: pickle one adversarial graph.

Usage: adversarial_deep.py KIND DEPTH [RECURSION_LIMIT]
Prints one line per protocol: "<proto> ok|<ExceptionName>".  A crash
shows as a signal in the parent.
"""
import pickle
import sys

import anethum


def wrap(inner):
    def outer():
        return inner
    return outer


def build(kind, depth):
    obj = None
    if kind == "closure":
        for _ in range(depth):
            obj = wrap(obj)
    elif kind == "class-attr":
        for i in range(depth):
            obj = type("C%d" % i, (), {"inner": obj})
    elif kind == "mixed":
        for i in range(depth):
            step = i % 4
            if step == 0:
                obj = [obj]
            elif step == 1:
                obj = {"k": obj}
            elif step == 2:
                obj = (obj,)
            else:
                obj = wrap(obj)
    elif kind == "list":
        for _ in range(depth):
            obj = [obj]
    elif kind == "dict":
        for _ in range(depth):
            obj = {"k": obj}
    elif kind == "tuple":
        for _ in range(depth):
            obj = (obj,)
    elif kind == "picklebuffer-released":
        return None
    else:
        raise SystemExit("unknown kind %r" % kind)
    return obj


def released_picklebuffer():
    """buffer_callback releases the PickleBuffer it is handed (and so frees
    its memory): _pickle reads freed memory here."""
    import gc

    def callback(buf):
        buf.release()
        gc.collect()
        bytearray(b"y" * 200000)
        return True

    for proto in range(6):
        pb = pickle.PickleBuffer(bytearray(b"x" * 200000))
        try:
            data = anethum.dumps([pb], 5, buffer_callback=callback)
            # anethum holds its own view of the data (as _pickle does from
            # gh-143308), so the bytes written are the ones wrapped.
            result = "ok" if pickle.loads(data) == [bytearray(b"x" * 200000)] else "wrong-data"
        except Exception as exc:
            result = type(exc).__name__
        print(proto, result, flush=True)


def main(kind, depth, limit=None):
    if kind == "picklebuffer-released":
        return released_picklebuffer()
    obj = build(kind, int(depth))
    if limit:
        sys.setrecursionlimit(int(limit))
    for proto in range(6):
        try:
            data = anethum.dumps(obj, proto)
            result = "ok"
        except RecursionError:
            result = "RecursionError"
        except MemoryError:
            result = "MemoryError"
        except (pickle.PicklingError, TypeError, ValueError) as exc:
            # Classes by value need protocol 2.
            result = type(exc).__name__
        else:
            try:
                pickle.loads(data)
            except RecursionError:
                # Loading something 100k deep may need more stack than
                # the loader has: not the pickler's business.
                result = "ok-load-RecursionError"
        print(proto, result, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
