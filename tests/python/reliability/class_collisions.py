"""Class-id collision census: many senders pickle classes made by the same
factories with different values; one receiver loads them all and counts
every class that came back with another sender's value (a collision), or
that changed a class loaded before it (damage).

    python class_collisions.py [--senders N] [--seconds S]

Prints one summary line and exits 1 on any collision or damage.
"""
import argparse
import os
import pickle
import subprocess
import sys
import time

SENDER = r'''
import dataclasses, enum, functools, sys, typing
import anethum

def variants(v):
    def closure_class(v):
        class A:
            def get(self):
                return v
        return A

    def default_class(v):
        class A:
            def get(self, x=v):
                return x
        return A

    def attr_class(v):
        return type("A", (), {"value": v, "get": lambda self: self.value})

    def list_attr_class(v):
        class A:
            items = [v, [v]]
            def get(self):
                return self.items[0]
        return A

    def enum_class(v):
        E = enum.Enum("E", {"X": v, "Y": -v - 1})
        return E

    def dataclass_class(v):
        @dataclasses.dataclass
        class D:
            x: int = v
            def get(self):
                return self.x
        return D

    def nested_class(v):
        inner = closure_class(v)
        class Outer:
            kind = inner
            def get(self):
                return self.kind().get()
        return Outer

    def partial_class(v):
        class P:
            get = functools.partialmethod(lambda self, x: x, v)
        return P

    def cycle_class(v):
        class A:
            def get(self):
                return self.partner.value
        class B:
            value = v
        A.partner, B.partner = B, A
        return A

    return {f.__name__: f(v) for f in (closure_class, default_class, attr_class, list_attr_class,
                                       enum_class, dataclass_class, nested_class, partial_class,
                                       cycle_class)}

value = int(sys.argv[1])
sys.stdout.buffer.write(anethum.dumps(variants(value), int(sys.argv[2])))
'''


def value_of(name, cls):
    if name == "enum_class":
        return cls.X.value
    return cls().get()


def census(senders, protocols=(2, 4, 5), deadline=None):
    env = dict(os.environ)
    import anethum
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))
    loaded, tried, collisions, damaged = [], 0, 0, 0
    value = 0
    while value < senders or (deadline is not None and time.monotonic() < deadline):
        value += 1
        protocol = protocols[value % len(protocols)]
        # Values repeat (value // 2): equal content from two senders must
        # load as one class, never as a wrong one.
        sent = value // 2
        data = subprocess.run([sys.executable, "-c", SENDER, str(sent), str(protocol)],
                              env=env, check=True, capture_output=True).stdout
        classes = pickle.loads(data)
        for name, cls in classes.items():
            tried += 1
            if value_of(name, cls) != sent:
                collisions += 1
        loaded.append((sent, classes))
        for earlier_value, earlier in loaded:
            for name, cls in earlier.items():
                if value_of(name, cls) != earlier_value:
                    damaged += 1
    return value, tried, collisions, damaged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=0)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    senders, tried, collisions, damaged = census(args.senders, deadline=deadline)
    print("class collisions: %d senders, %d classes loaded into one process, "
          "%d collisions, %d damaged" % (senders, tried, collisions, damaged))
    return 1 if collisions or damaged else 0


if __name__ == "__main__":
    sys.exit(main())
