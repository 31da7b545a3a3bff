"""A dill-compatible Pickler whose dispatch Python can extend (issue 10,
part 4): the patterns of the libraries that extend dill, copied here, run
unchanged on ``anethum.dill``, writing into anethum's Rust pickler."""
import copyreg
import io
import pickle
import sys
import types

import pytest

import anethum
import anethum.dill as dill
from anethum._dill import StockPickler


class Point:
    def __init__(self, x):
        self.x = x


def dumps_with(cls, obj, protocol=None, **kw):
    buffer = io.BytesIO()
    cls(buffer, protocol, **kw).dump(obj)
    return buffer.getvalue()


# -- huggingface datasets (utils/_dill.py) -----------------------------------

class MetaCatchingDict(dict):
    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __missing__(self, key):
        if issubclass(key, type):
            return dill.Pickler.dispatch.get(type)
        raise KeyError(key)


def make_hasher_pickler():
    calls = {"save": 0, "memoize": 0, "batch": 0}

    class Pickler(dill.Pickler):
        dispatch = MetaCatchingDict(dill.Pickler.dispatch.copy())

        def save(self, obj, save_persistent_id=True):
            calls["save"] += 1
            dill.Pickler.save(self, obj, save_persistent_id=save_persistent_id)

        def _batch_setitems(self, items, *args, **kwargs):
            calls["batch"] += 1
            try:
                items = sorted(items)
            except TypeError:
                pass
            return super()._batch_setitems(items, *args, **kwargs)

        def memoize(self, obj):
            calls["memoize"] += 1
            if type(obj) is not str:
                dill.Pickler.memoize(self, obj)

    def save_point(pickler, obj):
        dill._dill.logger.trace(pickler, "Pt: %s", obj)
        pickler.save_reduce(Point, (obj.x,), obj=obj)

    Pickler.dispatch[Point] = save_point
    return Pickler, calls


def hasher_dumps(obj):
    Pickler, calls = make_hasher_pickler()
    buffer = io.BytesIO()
    Pickler(buffer, recurse=True).dump(obj)
    return buffer.getvalue(), calls


def test_datasets_hasher_pattern(proto):
    data = {"b": [1, "s", "s"], "a": (Point(2), {"z": 1, "y": 2}), "f": len}
    blob, calls = hasher_dumps(data)
    loaded = pickle.loads(blob)
    assert loaded["a"][0].x == 2 and list(loaded["a"][1]) == ["y", "z"] and loaded["f"] is len
    assert calls["save"] > 8 and calls["batch"] == 2 and calls["memoize"] > 0
    # _batch_setitems sorts: the same content in another order, the same bytes
    again, _ = hasher_dumps({"f": len, "a": (Point(2), {"y": 2, "z": 1}), "b": [1, "s", "s"]})
    assert again == blob


def test_memoize_override_skips_strings():
    # datasets' memoize keeps strings out of the memo, so equal strings
    # are written again instead of fetched.
    word = "".join(["sa", "me"])
    blob, _ = hasher_dumps([word, word])
    assert blob.count(b"same") == 2
    assert anethum.dumps([word, word]).count(b"same") == 1


def test_override_reaches_nested_objects_only_for_that_subclass():
    _, calls = hasher_dumps([[1, [2, [3]]]])
    assert calls["save"] == 7
    # anethum.Pickler and its plain subclasses never call back into Python
    assert dumps_with(anethum.Pickler, [[1, [2, [3]]]], 4) == pickle.dumps([[1, [2, [3]]]], 4)


@pytest.mark.skipif(sys.version_info < (3, 14), reason="(items, obj) from 3.14")
def test_batch_setitems_gets_the_dict_from_314():
    seen = []

    class Pickler(dill.Pickler):
        def _batch_setitems(self, items, obj):
            seen.append(obj)
            return super()._batch_setitems(items, obj)
    data = {"k": 1}
    dumps_with(Pickler, data)
    assert seen == [data]


# -- Apache Beam -------------------------------------------------------------

def test_beam_patterns():
    class Registered:
        def __init__(self, v):
            self.v = v

    @dill.register(Registered)
    def save_registered(pickler, obj):
        assert dill.dill.is_dill(pickler) and pickler._main is sys.modules["__main__"]
        pickler.save_reduce(Registered, (obj.v,), obj=obj)

    try:
        assert dill.loads(dill.dumps([Registered(3)]))[0].v == 3
    finally:
        del dill.Pickler.dispatch[Registered]
    dill.extend(False)
    dill.extend(True)


def test_beam_save_set_and_replaced_save_module_dict():
    calls = []
    original = dill.dill.save_module_dict

    def new_save_module_dict(pickler, obj):
        calls.append(len(obj))
        return original(pickler, obj)

    def save_set_sorted(pickler, obj):
        pickler.save_set(obj)

    dill.Pickler.dispatch[dict] = new_save_module_dict
    dill.Pickler.dispatch[set] = save_set_sorted
    try:
        loaded = dill.loads(dill.dumps({"a": {1, 2}, "b": {"c": 3}}))
    finally:
        del dill.Pickler.dispatch[dict]
        del dill.Pickler.dispatch[set]
    assert loaded == {"a": {1, 2}, "b": {"c": 3}}
    assert calls == [2, 1]   # exact dicts reach the dispatch entry, which _pickle can't do


def test_dispatch_for_str_and_list_is_honoured():
    def save_str(pickler, obj):
        pickler._save_native(obj.upper())

    def save_list(pickler, obj):
        pickler.save_reduce(list, (tuple(obj),), obj=obj)

    class Pickler(dill.Pickler):
        dispatch = {str: save_str, list: save_list}
    # (protocol 2: from 4, STACK_GLOBAL saves module and name as strings too)
    assert pickle.loads(dumps_with(Pickler, ["a", ["b"]], 2)) == ["A", ["B"]]


# -- multiprocess ------------------------------------------------------------

def test_multiprocess_forking_pickler():
    class ForkingPickler(dill.Pickler):
        _extra_reducers = {}
        _copyreg_dispatch_table = copyreg.dispatch_table

        def __init__(self, *args, **kwds):
            super().__init__(*args, **kwds)
            self.dispatch_table = self._copyreg_dispatch_table.copy()
            self.dispatch_table.update(self._extra_reducers)

        @classmethod
        def dumps(cls, obj, protocol=None):
            buf = io.BytesIO()
            cls(buf, protocol).dump(obj)
            return buf.getbuffer()

        @classmethod
        def register(cls, type, reduce):
            cls._extra_reducers[type] = reduce

    ForkingPickler.register(Point, lambda p: (Point, (p.x + 1,)))
    blob = ForkingPickler.dumps([Point(1), lambda: 7])
    loaded = pickle.loads(blob)
    assert loaded[0].x == 2 and loaded[1]() == 7


# -- dill's own reducers ------------------------------------------------------

def test_dill_reducer_calls():
    class Box:
        pass

    def save_box(pickler, obj):
        pickler.save_reduce(Box, (), state={"n": 1}, listitems=None, dictitems=None, obj=obj)

    class Bag(list):
        pass

    def save_bag(pickler, obj):
        pickler.save_reduce(Bag, (), None, iter(obj), None, obj=obj)

    class Table(dict):
        pass

    def save_table(pickler, obj):
        pickler.save_reduce(Table, (), None, None, iter(obj.items()), obj=obj)

    def save_point(pickler, obj):
        assert id(obj) not in pickler.memo
        pickler.save(obj.x)
        pickler.write(pickle.POP)
        StockPickler.save_global(pickler, Point)
        pickler.save(obj.x)
        pickler.write(pickle.TUPLE1 + pickle.REDUCE)
        pickler.memoize(obj)
        assert pickler.memo[id(obj)][1] is obj
        pickler.write(pickle.POP + pickler.get(pickler.memo[id(obj)][0]))

    class Pickler(dill.Pickler):
        dispatch = {Box: save_box, Bag: save_bag, Table: save_table, Point: save_point}

    point = Point(4)
    box, bag, table, p1, p2 = pickle.loads(dumps_with(
        Pickler, [Box(), Bag([1, 2]), Table(a=1), point, point], 2))
    assert vars(box) == {"n": 1} and bag == [1, 2] and type(bag) is Bag and table == {"a": 1}
    assert p1.x == 4 and p2 is p1


def test_unbound_stock_methods():
    def save_dict_stock(pickler, obj):
        StockPickler.save_dict(pickler, obj)

    def save_point_via_reduce(pickler, obj):
        StockPickler.save_reduce(pickler, Point, (obj.x,), obj=obj)

    class Pickler(dill.Pickler):
        dispatch = {dict: save_dict_stock, Point: save_point_via_reduce}
    loaded = pickle.loads(dumps_with(Pickler, {"a": (1, Point(2))}))
    assert loaded["a"][0] == 1 and loaded["a"][1].x == 2


def test_save_native_does_not_recurse():
    calls = []

    def save_list(pickler, obj):
        calls.append(len(obj))
        pickler._save_native(obj)

    class Pickler(dill.Pickler):
        dispatch = {list: save_list}
    assert pickle.loads(dumps_with(Pickler, [[1], [2, 3]])) == [[1], [2, 3]]
    assert calls == [2, 1, 2]


def test_methods_outside_a_dump_raise():
    pickler = dill.Pickler(io.BytesIO())
    for call in [lambda: pickler.save(1), lambda: pickler.write(b"x"), lambda: pickler.memoize(1),
                 lambda: pickler.save_reduce(int, ()), lambda: pickler.get(0)]:
        with pytest.raises(RuntimeError, match="dump in progress"):
            call()


def test_errors_in_save_functions_propagate():
    def broken(pickler, obj):
        raise ValueError("no")

    class Pickler(dill.Pickler):
        dispatch = {Point: broken}
    with pytest.raises(ValueError, match="no"):
        dumps_with(Pickler, [Point(1)])


# -- persistent_id stays the user's ------------------------------------------

class Tensor:
    def __init__(self, data):
        self.data = data


def test_torch_style_persistent_id_with_dill_dispatch_and_by_value(tmp_path):
    store = {}

    class TensorPickler(dill.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Tensor):
                key = "t%d" % len(store)
                store[key] = obj.data
                return key
            return None

    class TensorUnpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return Tensor(store[pid])

    def save_point(pickler, obj):
        pickler.save_reduce(Point, (obj.x,), obj=obj)
    TensorPickler.dispatch = {Point: save_point}

    scale = 3
    graph = {"w": Tensor([1, 2]), "f": lambda v: v * scale, "p": Point(Tensor([9]))}
    buffer = io.BytesIO()
    TensorPickler(buffer).dump(graph)
    loaded = TensorUnpickler(io.BytesIO(buffer.getvalue())).load()
    assert loaded["w"].data == [1, 2] and loaded["f"](2) == 6 and loaded["p"].x.data == [9]
    assert sorted(store) == ["t0", "t1"]

    module = types.ModuleType("anethum_test_tensors")
    module.weights = Tensor([5])
    module.scale = lambda v: v * 2
    store.clear()
    path = tmp_path / "session.pkl"
    anethum.dump_module(str(path), module=module)
    restored = anethum.load_module(str(path))
    assert restored.weights.data == [5] and restored.scale(3) == 6


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt, SystemExit, MemoryError, RecursionError])
@pytest.mark.parametrize("where", ["dispatch", "save", "memoize", "batch"])
def test_any_exception_from_a_hook_propagates_and_the_pickler_recovers(exc_type, where):
    state = {"armed": True}

    def fire():
        if state["armed"]:
            state["armed"] = False
            raise exc_type("from %s" % where)

    class Hooked(dill.Pickler):
        dispatch = {Point: lambda pickler, obj: (fire() if where == "dispatch" else None,
                                                 pickler.save_reduce(Point, (obj.x,), obj=obj))}

        def save(self, obj, save_persistent_id=True):
            if where == "save" and isinstance(obj, Point):
                fire()
            dill.Pickler.save(self, obj, save_persistent_id)

        def memoize(self, obj):
            if where == "memoize" and isinstance(obj, Point):
                fire()
            dill.Pickler.memoize(self, obj)

        def _batch_setitems(self, items, *args):
            if where == "batch":
                fire()
            return super()._batch_setitems(items, *args)

    graph = [{"k": Point(1)}, Point(2)]
    buffer = io.BytesIO()
    pickler = Hooked(buffer, 4)
    with pytest.raises(exc_type):
        pickler.dump(graph)
    buffer.seek(0)
    buffer.truncate()
    pickler.clear_memo()
    pickler.dump(graph)
    loaded = pickle.loads(buffer.getvalue())
    assert loaded[0]["k"].x == 1 and loaded[1].x == 2
    with pytest.raises(RuntimeError, match="dump in progress"):
        pickler.save(1)   # the dump is over: nothing is left published


RECURSE_SCRIPT = r"""
import pickle, sys
import anethum.dill as dill
SCALE = 3
def scaled(x):
    return x * SCALE
by_reference = dill.dumps(scaled)                  # recurse=False, dill's default
shipped = dill.dumps(scaled, recurse=True)
copy = dill.copy(scaled)
assert copy.__globals__ is globals()               # the live __main__ namespace
del SCALE
try:
    copy(1)
except NameError:
    pass
else:
    raise AssertionError("SCALE was copied")
sys.stdout.buffer.write(by_reference.hex().encode() + b"\n" + shipped.hex().encode())
"""

LOAD_SCRIPT = r"""
import pickle, sys
by_reference, shipped = (bytes.fromhex(line) for line in sys.stdin.read().split())
assert pickle.loads(shipped)(2) == 6               # its globals travel with it
f = pickle.loads(by_reference)
SCALE = 10                                         # ... this one reads the loader's
assert f(2) == 20
print("ok")
"""


def test_recurse_false_keeps_main_globals_by_reference(tmp_path):
    import os
    import subprocess
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(anethum.__file__)))
    dumped = subprocess.run([sys.executable, "-c", RECURSE_SCRIPT], capture_output=True, env=env, check=True)
    loaded = subprocess.run([sys.executable, "-c", LOAD_SCRIPT], input=dumped.stdout, capture_output=True,
                            env=env, check=True)
    assert loaded.stdout.strip() == b"ok"
