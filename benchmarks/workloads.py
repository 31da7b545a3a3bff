"""Benchmark workloads for bench_dumps.py.

Everything is deterministic so both picklers see identical inputs. The classes
live here (not in the script) so they pickle by reference to an importable
module, and the subprocess children can rebuild the same objects.
"""

from dataclasses import dataclass, field


class PlainRecord:
    def __init__(self, ident, name, score, active):
        self.ident = ident
        self.name = name
        self.score = score
        self.active = active


class SlotsRecord:
    __slots__ = ("ident", "name", "score", "active")

    def __init__(self, ident, name, score, active):
        self.ident = ident
        self.name = name
        self.score = score
        self.active = active


def _n(base, scale):
    return max(1, int(base * scale))


def dict_int_float(scale):
    return {i: i * 0.25 for i in range(_n(100_000, scale))}


def list_short_str(scale):
    return [f"item-{i:06d}" for i in range(_n(100_000, scale))]


def json_records(scale):
    return [
        {
            "id": i,
            "name": f"user{i}",
            "email": f"user{i}@example.com",
            "score": i * 1.5 + 0.1,
            "active": i % 3 == 0,
            "manager": None,
            "tags": ["alpha", "beta"] if i % 2 else ["gamma"],
            "history": [[i, i * 0.5], [i + 1, None, True]],
        }
        for i in range(_n(10_000, scale))
    ]


def bytes_10mb(scale):
    n = _n(10 * 1024 * 1024, scale)
    return (bytes(range(256)) * (n // 256 + 1))[:n]


def set_ints(scale):
    return set(range(_n(100_000, scale)))


def float64_array(scale):
    import numpy as np

    return np.arange(_n(1_000_000, scale), dtype=np.float64) * 0.5


def plain_instances(scale):
    return [PlainRecord(i, f"n{i}", i * 0.5, bool(i & 1)) for i in range(_n(100_000, scale))]


def slots_instances(scale):
    return [SlotsRecord(i, f"n{i}", i * 0.5, bool(i & 1)) for i in range(_n(100_000, scale))]


@dataclass(frozen=True)
class Workload:
    name: str
    build: object  # callable(scale) -> object
    out_of_band: bool = False  # pickle with buffer_callback
    needs: tuple = field(default=())  # importable modules required


WORKLOADS = [
    Workload("dict_100k_int_float", dict_int_float),
    Workload("list_100k_short_str", list_short_str),
    Workload("json_10k_records", json_records),
    Workload("bytes_10MB", bytes_10mb),
    Workload("set_100k_int", set_ints),
    Workload("ndarray_1M_f64_inband", float64_array, needs=("numpy",)),
    Workload("ndarray_1M_f64_buffer_cb", float64_array, out_of_band=True, needs=("numpy",)),
    Workload("plain_class_100k", plain_instances),
    Workload("slots_class_100k", slots_instances),
]

BY_NAME = {w.name: w for w in WORKLOADS}
