"""Subprocess body: pickle a very deep structure with one module, report.

Usage: deep_nesting.py MODULE KIND DEPTH [RECURSION_LIMIT]
Prints one line per protocol: "<proto> ok|<ExceptionName>".
"""
import importlib
import sys

import objects


def build(kind, depth):
    obj = None
    for _ in range(depth):
        if kind == "list":
            obj = [obj]
        elif kind == "dict":
            obj = {"k": obj}
        elif kind == "tuple":
            obj = (obj,)
        elif kind == "object":
            obj = objects.Plain(child=obj)
        else:
            obj = objects.Reduce2(obj)
    return obj


def main(module, kind, depth, limit=None):
    dumps = importlib.import_module(module).dumps
    obj = build(kind, int(depth))
    if limit:
        sys.setrecursionlimit(int(limit))
    for proto in range(6):
        try:
            dumps(obj, proto)
            result = "ok"
        except RecursionError:
            # anethum.PicklingRecursionError is a RecursionError too.
            result = "RecursionError"
        except MemoryError as exc:
            result = type(exc).__name__
        print(proto, result, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
