"""A tour of anethum: same bytes as pickle, loads with pickle, and timings."""

import io
import pickle
import time

import anethum

record = {"id": 7, "name": "dill", "scores": [1.5, float("inf")], "tags": {"herb", "seed"}}
data = [record, record, (b"\x00bytes", bytearray(b"mutable"), 2**100, None, True)]

print("anethum: protocols 0 to", anethum.HIGHEST_PROTOCOL)
for protocol in range(anethum.HIGHEST_PROTOCOL + 1):
    ours = anethum.dumps(data, protocol)
    assert ours == pickle.dumps(data, protocol), protocol
    assert pickle.loads(ours) == data
print("identical to pickle.dumps for every protocol, and pickle.loads reads it back")


def make_counter(start):
    count = start

    def step(by=1):
        nonlocal count
        count += by
        return count

    return step


# What pickle refuses goes by value, and loads with plain pickle.loads.
counter = pickle.loads(anethum.dumps(make_counter(10)))
square = pickle.loads(anethum.dumps(lambda x: x * x))
print("by value: a closure ->", counter(), counter(5), "; a lambda ->", square(7))
try:
    pickle.dumps(make_counter(0))
except (AttributeError, pickle.PicklingError) as error:
    print("pickle itself refuses it:", error)


class Tagged:
    def __init__(self, tag):
        self.tag = tag


class TaggingPickler(anethum.Pickler):
    """A Pickler subclass with a reducer_override hook, as with pickle.Pickler."""

    def reducer_override(self, obj):
        if isinstance(obj, Tagged):
            return str, (f"<tag {obj.tag}>",)
        return NotImplemented


buffer = io.BytesIO()
TaggingPickler(buffer, protocol=5).dump([Tagged("a"), 1])
print("reducer_override:", pickle.loads(buffer.getvalue()))

numbers = {i: i * 0.5 for i in range(200_000)}
for name, dumps in (("pickle", pickle.dumps), ("anethum", anethum.dumps)):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        dumps(numbers, 5)
        times.append(time.perf_counter() - start)
    print(f"{name:8} dumps of a 200k-item dict: {min(times) * 1e3:6.2f} ms")
