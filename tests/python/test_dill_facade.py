"""anethum.dill: dill's public API over anethum, and anethum.settings."""
import importlib
import inspect
import io
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import anethum
import anethum.dill as adill
from anethum import _dill, loaders

ANETHUM_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(anethum.__file__)))

PUBLIC_NAMES = [
    "dumps", "dump", "loads", "load", "copy", "pickles", "check", "Pickler",
    "Unpickler", "settings", "register", "pickle", "extend", "dump_module",
    "load_module", "load_module_asdict", "dump_session", "load_session",
    "detect", "source", "HIGHEST_PROTOCOL", "DEFAULT_PROTOCOL", "HANDLE_FMODE",
    "CONTENTS_FMODE", "FILE_FMODE", "PicklingError", "UnpicklingError",
    "PickleError", "PickleWarning", "PicklingWarning", "UnpicklingWarning",
    "__version__", "logger", "load_types", "objects", "is_dill",
]
# Provided by other modules of anethum (looked up lazily).
LAZY = {
    "dump_module": "anethum._session", "load_module": "anethum._session",
    "load_module_asdict": "anethum._session", "dump_session": "anethum._session",
    "load_session": "anethum._session", "detect": "anethum.detect",
    "source": "anethum.source",
}
DILL_INTERNALS = [
    "StockPickler", "StockUnpickler", "MetaCatchingDict", "is_dill", "logger",
    "log", "save_module_dict", "save_function", "save_type", "save_module",
    "save_code", "_create_function", "_create_code", "_create_cell",
    "_CELL_EMPTY", "_import_module", "_locate_function", "_save_with_postproc",
    "_load_type", "_reverse_typemap", "_is_builtin_module", "Pickler",
    "Unpickler", "dumps", "loads", "IS_PYPY", "get_file_type",
]
DILL_DEFAULTS = {"protocol": pickle.DEFAULT_PROTOCOL, "byref": False, "fmode": 0,
                 "recurse": False, "ignore": False}


def _available(module):
    try:
        importlib.import_module(module)
        return True
    except ImportError:
        return False


@pytest.fixture
def clean_settings():
    saved = dict(anethum.settings)
    yield anethum.settings
    anethum.settings.clear()
    anethum.settings.update(saved)


@pytest.fixture
def clean_dispatch():
    saved = dict(adill.Pickler.dispatch)
    yield adill.Pickler.dispatch
    adill.Pickler.dispatch.clear()
    adill.Pickler.dispatch.update(saved)


class _Unequal:
    def __eq__(self, other):
        return False


def _make_class():
    class Local:
        x = 1

        def method(self):
            return self.x
    return Local


# --------------------------------------------------------------------------
# Names.
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in PUBLIC_NAMES if n not in LAZY])
def test_public_name_resolves(name):
    assert getattr(adill, name) is not None
    value = getattr(adill, name)
    if callable(value) and not name.startswith("__") and \
            getattr(value, "__module__", "").startswith("anethum"):
        assert getattr(adill, name).__doc__, "%s has no docstring" % name


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_name_resolves_when_its_module_exists(name):
    module = LAZY[name]
    if _available(module):
        value = getattr(adill, name)
        if name in ("detect", "source"):
            assert value is importlib.import_module(module)
        else:
            assert value is getattr(importlib.import_module(module), name)
    else:
        with pytest.raises(AttributeError, match=module.replace(".", r"\.")):
            getattr(adill, name)
    assert name in dir(adill)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        adill.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", DILL_INTERNALS)
def test_dill_internals_resolve(name):
    assert getattr(adill._dill, name) is getattr(adill.dill, name)


def test_dill_dill_and__dill_are_the_internals():
    assert adill._dill is _dill
    assert adill.dill is _dill
    assert adill._dill.Pickler is adill.Pickler
    assert adill.logger.trace is not None and adill.logger.adapter is _dill.logger


def test_constants():
    assert (adill.HANDLE_FMODE, adill.CONTENTS_FMODE, adill.FILE_FMODE) == (0, 1, 2)
    assert adill.HIGHEST_PROTOCOL == pickle.HIGHEST_PROTOCOL
    assert adill.DEFAULT_PROTOCOL == pickle.DEFAULT_PROTOCOL
    assert adill.PicklingError is pickle.PicklingError
    assert adill.UnpicklingError is pickle.UnpicklingError
    assert issubclass(adill.PicklingWarning, (Warning, pickle.PicklingError))
    assert adill.__version__ == "0.4.1"


def test_signatures_match_dill():
    dill = pytest.importorskip("dill")
    for name in ("dumps", "dump", "loads", "load", "copy", "pickles", "check",
                 "register", "pickle", "extend", "load_types"):
        assert inspect.signature(getattr(adill, name)) == inspect.signature(getattr(dill, name)), name
    assert inspect.signature(adill.is_dill) == inspect.signature(dill._dill.is_dill)


# --------------------------------------------------------------------------
# Round trips.
# --------------------------------------------------------------------------

@pytest.mark.parametrize("obj", [
    1, "text", [1, 2, (3, 4)], {"a": {1, 2}}, None, b"\x00" * 10, 2.5,
])
def test_plain_data_is_bytes_identical_to_pickle(obj):
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert adill.dumps(obj, protocol) == pickle.dumps(obj, protocol)
    assert adill.loads(adill.dumps(obj)) == obj


def test_functions_round_trip():
    y = 10
    closure = lambda x: x + y  # noqa: E731
    assert adill.loads(adill.dumps(closure))(1) == 11
    assert adill.copy(closure)(2) == 12
    f = io.BytesIO()
    adill.dump([closure], f)
    f.seek(0)
    assert adill.load(f)[0](3) == 13


def test_protocol_defaults_to_settings(clean_settings):
    assert adill.dumps(1)[:2] == bytes([0x80, pickle.DEFAULT_PROTOCOL])
    clean_settings["protocol"] = 2
    assert adill.dumps(1)[:2] == b"\x80\x02"
    assert adill.dumps(1, 5)[:2] == b"\x80\x05"
    assert adill.dumps(1, protocol=0)[:1] == b"I"


def test_pickler_and_unpickler_classes():
    f = io.BytesIO()
    p = adill.Pickler(f, 5)
    p.dump({"k": [1, 2]})
    assert isinstance(p, anethum.Pickler)
    f.seek(0)
    assert adill.Unpickler(f).load() == {"k": [1, 2]}
    assert adill.Pickler._anethum_dill_dispatch is True
    assert p._main is sys.modules["__main__"]
    assert p._session is False
    assert p._file is f
    assert adill.Pickler.settings is anethum.settings


def test_loads_keywords():
    data = pickle.dumps(b"abc", 2)
    assert adill.loads(data, encoding="latin1") == b"abc"
    assert adill.loads(data, ignore=True) == b"abc"


# --------------------------------------------------------------------------
# Settings.
# --------------------------------------------------------------------------

def test_settings_defaults():
    assert anethum.settings is adill.settings
    assert type(anethum.settings) is dict
    for key, value in DILL_DEFAULTS.items():
        assert anethum.settings[key] == value
    assert anethum.settings["track_classes"] is None


def test_settings_match_dill():
    dill = pytest.importorskip("dill")
    fresh = subprocess.run(
        [sys.executable, "-c", "import dill, json; print(json.dumps(dill.settings))"],
        capture_output=True, text=True, check=True)
    import json
    assert {k: anethum.settings[k] for k in dill.settings} == json.loads(fresh.stdout)


def test_pickler_options_default_from_settings(clean_settings):
    p = adill.Pickler(io.BytesIO())
    assert (p._byref, p._recurse, p._fmode, p._ignore, p._strictio) == (False, False, 0, False, False)
    clean_settings.update(byref=True, recurse=True, fmode=adill.FILE_FMODE, ignore=True)
    p = adill.Pickler(io.BytesIO())
    assert (p._byref, p._recurse, p._fmode, p._ignore) == (True, True, 2, True)
    p = adill.Pickler(io.BytesIO(), byref=False, recurse=False, fmode=1, ignore=False)
    assert (p._byref, p._recurse, p._fmode, p._ignore) == (False, False, 1, False)


def test_dumps_passes_options_to_the_pickler(monkeypatch):
    seen = []

    class Recording(adill.Pickler):
        def __init__(self, file, *args, **kwds):
            super().__init__(file, *args, **kwds)
            seen.append((self._byref, self._recurse, self._fmode, self._ignore))

    monkeypatch.setattr(_dill, "Pickler", Recording)
    adill.dumps(1, byref=True, recurse=True, fmode=2, ignore=True)
    adill.dump(1, io.BytesIO(), None, True, 1, True)
    adill.copy(1, recurse=True)
    assert seen == [(True, True, 2, True), (True, True, 1, False), (False, True, 0, False)]


def test_unpickler_ignore_defaults_from_settings(clean_settings):
    assert adill.Unpickler(io.BytesIO())._ignore is False
    clean_settings["ignore"] = True
    assert adill.Unpickler(io.BytesIO())._ignore is True
    assert adill.Unpickler(io.BytesIO(), ignore=False)._ignore is False


# --------------------------------------------------------------------------
# Dispatch.
# --------------------------------------------------------------------------

def test_register_and_pickle_fill_dispatch(clean_dispatch):
    class T:
        pass

    class U:
        pass

    @adill.register(T)
    def save_t(pickler, obj):
        pickler.save_reduce(T, (), obj=obj)

    def save_u(pickler, obj):
        pass

    assert adill.register(T)(save_t) is save_t
    adill.pickle(U, save_u)
    assert adill.Pickler.dispatch[T] is save_t
    assert adill.Pickler.dispatch[U] is save_u
    assert T not in anethum.Pickler.dispatch  # copyreg-style reducers: untouched
    assert adill.Pickler.dispatch is not anethum.Pickler.dispatch


def test_dispatch_is_dill_shaped():
    assert isinstance(adill.Pickler.dispatch, _dill.MetaCatchingDict)
    assert dict(adill.Pickler.dispatch) == {} or all(
        callable(f) for f in adill.Pickler.dispatch.values())

    class Meta(type):
        pass
    assert adill.Pickler.dispatch.get(Meta) is _dill.save_type
    assert adill.Pickler.dispatch.get(int) is None


def test_subclass_dispatch_copy(clean_dispatch):
    # what datasets does
    class MyPickler(adill.Pickler):
        dispatch = _dill.MetaCatchingDict(adill.Pickler.dispatch.copy())
    MyPickler.dispatch[complex] = lambda pickler, obj: None
    assert complex not in adill.Pickler.dispatch
    assert MyPickler._anethum_dill_dispatch is True


@pytest.mark.parametrize("name", _dill.PICKLER_METHODS)
def test_pickler_methods_forward_or_say_what_is_missing(name):
    p = adill.Pickler(io.BytesIO())
    method = getattr(p, name)
    if getattr(anethum.Pickler, name, None) is None:
        with pytest.raises(NotImplementedError, match=name):
            method(1)
        with pytest.raises(NotImplementedError, match=name):
            getattr(_dill.StockPickler, name)(p, 1)
    else:
        assert getattr(adill.Pickler, name) is getattr(anethum.Pickler, name)


def test_extend_leaves_pickle_alone():
    before = dict(pickle._Pickler.dispatch)
    adill.extend(False)
    adill.extend()
    assert pickle._Pickler.dispatch == before


def test_is_dill():
    assert adill.is_dill(adill.Pickler(io.BytesIO())) is True
    assert adill.is_dill(adill.Pickler(io.BytesIO()), child=False) is True
    assert adill.is_dill(_dill.StockPickler(io.BytesIO())) is False
    assert adill.is_dill(_dill.StockPickler(io.BytesIO()), child=False) is False
    assert adill.is_dill(anethum.Pickler(io.BytesIO())) is False


def test_save_module_dict_references_main_and_module_dicts():
    written = []

    class Fake:
        __module__ = "fake.dill"
        _main = sys.modules["__main__"]
        _session = False

        def write(self, data):
            written.append(data)

    _dill.save_module_dict(Fake(), sys.modules["__main__"].__dict__)
    _dill.save_module_dict(Fake(), os.__dict__)
    assert written == [b"c__builtin__\n__main__\n", b"cos\n__dict__\n"]


def test_logger_trace(capsys):
    class Fake:
        __module__ = "x.dill"
        _file = io.BytesIO()

    p = Fake()
    with adill.logger.trace(io.StringIO()) as log:
        _dill.logger.trace_setup(p)
        _dill.logger.trace(p, "F1: %s", "obj")
        _dill.logger.trace(p, "# F1")
        log("done")
    adill.logger.trace(False)


# --------------------------------------------------------------------------
# pickles / check / copy.
# --------------------------------------------------------------------------

def test_pickles():
    assert adill.pickles(lambda x: x)
    assert adill.pickles([1, 2], exact=True)
    assert not adill.pickles((i for i in range(3)))
    assert not adill.pickles((i for i in range(3)), safe=True)
    assert adill.pickles(_Unequal())
    assert not adill.pickles(_Unequal(), exact=True)


def test_check_loads_in_another_process(capfd):
    adill.check([1, 2, 3], verbose=True)
    out = capfd.readouterr().out
    assert "[1, 2, 3]" in out and "SUCCESS" in out
    adill.check(lambda x: x, verbose=True, python=sys.executable)
    out = capfd.readouterr().out
    assert "<function" in out and "SUCCESS" in out


def test_check_dump_failure(capfd):
    with pytest.raises(TypeError):
        adill.check((i for i in range(3)), verbose=True)
    assert "DUMP FAILED" in capfd.readouterr().out


def test_copy():
    data = {"a": [1, 2]}
    copied = adill.copy(data)
    assert copied == data and copied is not data
    assert adill.copy(data, 2, ignore=True) == data


# --------------------------------------------------------------------------
# Class identity: dill makes a new class, anethum (cloudpickle) gives the
# tracked one back; settings["track_classes"] chooses.
# --------------------------------------------------------------------------

def test_class_identity_default():
    cls = _make_class()
    assert anethum.loads(anethum.dumps(cls)) is cls
    assert pickle.loads(anethum.dumps(cls)) is cls
    copied = adill.copy(cls)
    assert copied is not cls
    assert copied.__name__ == cls.__name__ and copied().method() == 1
    assert adill.copy(cls) is not copied
    # the tracked class is still the one anethum.loads gives back
    assert anethum.loads(anethum.dumps(cls)) is cls


def test_new_class_keeps_qualname():
    cls = _make_class()
    assert adill.copy(cls).__qualname__ == cls.__qualname__


def test_class_identity_instances_and_shared_references():
    cls = _make_class()
    a, b, k = adill.copy((cls(), cls(), cls))
    assert type(a) is type(b) is k
    assert k is not cls


def test_class_identity_track_classes_true(clean_settings):
    cls = _make_class()
    clean_settings["track_classes"] = True
    assert adill.copy(cls) is cls
    assert adill.loads(anethum.dumps(cls)) is cls


def test_class_identity_track_classes_false(clean_settings):
    cls = _make_class()
    data = anethum.dumps(cls)
    clean_settings["track_classes"] = False
    assert anethum.loads(data) is not cls
    assert pickle.loads(data) is not cls
    assert adill.loads(data) is not cls
    clean_settings["track_classes"] = None
    assert anethum.loads(data) is cls


def test_class_identity_restored_after_a_failed_load():
    assert getattr(loaders._LOAD_OPTIONS, "track_classes", None) is None
    with pytest.raises(Exception):
        adill.loads(b"\x80\x05garbage")
    assert getattr(loaders._LOAD_OPTIONS, "track_classes", None) is None
    cls = _make_class()
    assert anethum.loads(anethum.dumps(cls)) is cls


def test_main_classes_in_a_script(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import anethum, anethum.dill as dill

        class C:
            def m(self):
                return 3

        assert dill.copy(C) is not C
        assert anethum.loads(anethum.dumps(C)) is C
        # dill points instances of __main__ classes at __main__'s class...
        assert type(dill.copy(C())) is C
        # ...unless ignore=True
        assert type(dill.copy(C(), ignore=True)) is not C
        assert dill.copy(C(), ignore=True).m() == 3
        print("ok")
    """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ANETHUM_PARENT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, str(script)], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --------------------------------------------------------------------------
# With dill installed.
# --------------------------------------------------------------------------

def test_loads_dill_pickles():
    dill = pytest.importorskip("dill")
    f = adill.loads(dill.dumps(lambda x: x * 2))
    assert f(2) == 4


def test_dill_loads_anethum_dill_pickles():
    dill = pytest.importorskip("dill")
    assert dill.loads(adill.dumps(lambda x: x * 3))(2) == 6


def test_load_types_fills_objects():
    pytest.importorskip("dill")
    adill.load_types(pickleable=True, unpickleable=False)
    try:
        assert "LambdaType" in adill.objects
    finally:
        adill.objects.clear()


def test_internal_helpers_load():
    cell = _dill._create_cell(5)
    assert cell.cell_contents == 5
    code = (lambda: 1).__code__
    f = _dill._create_function(code, {}, "f")
    assert f() == 1
    assert _dill._load_type("PartialType") is type(__import__("functools").partial(int))
    assert _dill._import_module("os.path") is os.path
    assert _dill._locate_function(os.path.join) is True


def test_dill_names_load_without_dill():
    # a dill pickle's reference to dill._dill.<helper> loads from anethum._dill
    # when dill itself isn't installed
    script = textwrap.dedent("""
        import sys
        sys.modules["dill"] = None
        import anethum.dill as dill
        cell = dill.loads(b"cdill._dill\\n_create_cell\\n(I5\\ntR.")
        assert cell.cell_contents == 5
        assert dill.loads(b"cdill.dill\\n_load_type\\n(VPartialType\\ntR.").__name__ == "partial"
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ANETHUM_PARENT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_lazy_names_come_from_their_modules(monkeypatch):
    # stand-ins for anethum._session / anethum.detect / anethum.source
    import types
    fakes = {}
    for module in set(LAZY.values()):
        fake = types.ModuleType(module)
        for name, where in LAZY.items():
            if where == module:
                setattr(fake, name, lambda *a, **k: None)
        fakes[module] = fake
        monkeypatch.setitem(sys.modules, module, fake)
    for name in list(LAZY) + ["session"]:
        monkeypatch.delitem(vars(adill), name, raising=False)
    try:
        for name, module in LAZY.items():
            if name in ("detect", "source"):
                assert getattr(adill, name) is fakes[module]
            else:
                assert getattr(adill, name) is getattr(fakes[module], name)
        assert adill.session is fakes["anethum._session"]
    finally:
        for name in list(LAZY) + ["session"]:
            vars(adill).pop(name, None)
