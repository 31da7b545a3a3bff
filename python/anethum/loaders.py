"""Load-time helpers for objects that anethum pickles *by value*.

THIS MODULE IS PART OF THE PICKLE FILE FORMAT.

Pickles written by anethum for functions, classes, enums, type variables,
dynamic modules, cells, dict views, files... that the standard library
cannot pickle refer to the functions below by import path
(``anethum.loaders.<name>``), and ``pickle.loads`` calls them.  Such pickles
load with the plain ``pickle.loads`` in any process where ``anethum`` can
be imported.  Consequently:

* a public function of this module may never be renamed, removed, or have
  its signature changed in an incompatible way (new *optional* trailing
  parameters are the only allowed change);
* the meaning of the state tuples consumed by the ``*_setstate`` functions
  is fixed; new keys may be tolerated, existing ones may not change meaning.

``FORMAT_VERSION`` is bumped if this contract ever has to change.

The one function here that runs at *pickling* time is
``get_or_create_tracker_id``: it gives each dynamic class (or TypeVar) a
stable id so that loading it twice in one process (or sending it away and
back) yields the same class object.

This module only depends on the standard library and must stay importable
on every supported CPython (3.9 to 3.15).
"""

import builtins
import dataclasses
import gc
import sys
import threading
import types
import typing
import uuid
import weakref
from collections import OrderedDict

from . import _class_digest

__all__ = [
    "FORMAT_VERSION",
    "builtin_type",
    "class_setstate",
    "dataclass_field_sentinel",
    "dynamic_subimport",
    "file_reconstructor",
    "function_setstate",
    "get_or_create_tracker_id",
    "getset_descriptor",
    "lookup_class_or_track",
    "make_cell",
    "make_class_dict_cell",
    "make_dict_items",
    "make_dict_keys",
    "make_dict_values",
    "make_empty_cell",
    "make_function",
    "make_paramspec",
    "make_skeleton_class",
    "make_skeleton_enum",
    "make_typevar",
    "subimport",
]

#: Version of the by-value pickle format produced with these helpers.
FORMAT_VERSION = 1

_BUILTINS_DICT = builtins.__dict__


# --------------------------------------------------------------------------
# Class tracking: one class object per tracker id and per process.
# --------------------------------------------------------------------------

_TRACKER_ID_BY_CLASS = weakref.WeakKeyDictionary()
_CLASS_BY_TRACKER_ID = weakref.WeakValueDictionary()
_TRACKER_LOCK = threading.Lock()


def get_or_create_tracker_id(class_def):
    """Return the tracker id of ``class_def``, making one if needed.

    Called at pickling time.  The class (or TypeVar) is remembered weakly
    under its id, so that loading a pickle of it in this same process gives
    back this very object.

    anethum's pickler no longer calls this (its ids digest the whole pickled
    content of the class, see ``_track_pickled_class``); it stays for code
    that used it, as part of this module's contract.

    The id is a digest of the class definition (``anethum._class_digest``),
    so the same class pickled in two processes, under any hash seed, gets
    the same id and the same bytes.  Another live class defined exactly
    alike gets the digest with ``-1``, ``-2``... appended, in the order they
    are first pickled.  If the definition can't be read, a uuid4 hex string
    is used, as cloudpickle does.
    """
    with _TRACKER_LOCK:
        tracker_id = _TRACKER_ID_BY_CLASS.get(class_def)
        if tracker_id is None:
            tracker_id = _new_tracker_id(class_def)
            _TRACKER_ID_BY_CLASS[class_def] = tracker_id
            _CLASS_BY_TRACKER_ID[tracker_id] = class_def
    return tracker_id


def _new_tracker_id(class_def):
    try:
        base = _class_digest.class_digest(class_def)
    except Exception:
        return uuid.uuid4().hex
    tracker_id, n = base, 0
    while _CLASS_BY_TRACKER_ID.get(tracker_id) is not None:
        n += 1
        tracker_id = "%s-%d" % (base, n)
    return tracker_id


def lookup_class_or_track(class_tracker_id, class_def):
    """Return the class already known under ``class_tracker_id``, if any.

    Otherwise remember ``class_def`` under that id and return it.  A
    ``class_tracker_id`` of None disables tracking.
    """
    if class_tracker_id is None:
        return class_def
    with _TRACKER_LOCK:
        known = _CLASS_BY_TRACKER_ID.setdefault(class_tracker_id, class_def)
        _TRACKER_ID_BY_CLASS[known] = class_tracker_id
    return known


def _track_pickled_class(content_id, class_def):
    """The tracker id under which ``class_def`` is pickled now, and known.

    Called at pickling time with the digest of what the pickle carries of
    the class (``content_id``). A class already known under that digest,
    or under a ``-n`` suffixed form of it (a distinct live class pickled
    alike), keeps its id; another live class with the same content gets
    the next free suffix, so a load in this process never swaps one live
    class for another. Ids with one digest always carry the same content.
    """
    with _TRACKER_LOCK:
        known_id = _TRACKER_ID_BY_CLASS.get(class_def)
        if (known_id is not None and known_id.partition("-")[0] == content_id
                and _CLASS_BY_TRACKER_ID.get(known_id) is class_def):
            return known_id
        tracker_id, n = content_id, 0
        while True:
            known = _CLASS_BY_TRACKER_ID.get(tracker_id)
            if known is None:
                _CLASS_BY_TRACKER_ID[tracker_id] = class_def
                break
            if known is class_def:
                break
            n += 1
            tracker_id = "%s-%d" % (content_id, n)
        _TRACKER_ID_BY_CLASS[class_def] = tracker_id
    return tracker_id


# Skeletons made by a load whose ``class_setstate`` hasn't run yet. Only
# they are filled: a class that was already known under its tracker id (the
# original in the pickling process, or one another pickle made) is left as
# it is, so a load never changes a class someone else's pickle created.
_UNFILLED = weakref.WeakSet()


# Whether a load gives back the class already known under a tracker id
# (cloudpickle's way, the default) or a new class (dill's way). A load made
# by ``anethum.dill`` sets ``_LOAD_OPTIONS.track_classes`` for its duration;
# otherwise ``anethum.settings["track_classes"]`` decides (None: track).
_LOAD_OPTIONS = threading.local()


def _tracking_classes():
    track = getattr(_LOAD_OPTIONS, "track_classes", None)
    if track is None:
        settings = getattr(sys.modules.get("anethum._settings"), "settings", None)
        if settings is not None:
            track = settings.get("track_classes")
    return track is None or bool(track)


def _track_skeleton(class_tracker_id, skeleton):
    if not _tracking_classes():
        # A new class, not remembered: a later load makes another one.
        _UNFILLED.add(skeleton)
        return skeleton
    known = lookup_class_or_track(class_tracker_id, skeleton)
    if known is skeleton:
        _UNFILLED.add(skeleton)
    return known


# --------------------------------------------------------------------------
# Functions and cells.
# --------------------------------------------------------------------------


def make_function(code, globals, name, argdefs, closure):
    """Create a function from ``code`` with ``globals`` as its namespace.

    ``closure`` is None or a tuple of (usually empty) cells, filled later by
    ``function_setstate``; ``globals`` gets the builtins module's dict as
    ``__builtins__``.
    """
    globals["__builtins__"] = _BUILTINS_DICT
    return types.FunctionType(code, globals, name, argdefs, closure)


def function_setstate(func, state):
    """Restore the state of a function made by ``make_function``.

    ``state`` is ``(dict_state, slotstate)``: ``dict_state`` updates
    ``func.__dict__``; ``slotstate`` is a dict whose special keys are
    ``"__globals__"`` (dict merged into ``func.__globals__``),
    ``"__closure__"`` (None or a tuple of cells whose non-empty contents
    are copied into ``func``'s own cells) and ``"_anethum_submodules"``
    (ignored: it only made the unpickler import those modules); every other
    key is set with ``setattr`` (``__name__``, ``__qualname__``,
    ``__annotations__`` or (3.14+) ``__annotate__``, ``__kwdefaults__``,
    ``__defaults__``, ``__module__``, ``__doc__``...).
    """
    dict_state, slotstate = state
    if dict_state:
        func.__dict__.update(dict_state)
    slotstate = dict(slotstate) if slotstate else {}

    func_globals = slotstate.pop("__globals__", None)
    closure = slotstate.pop("__closure__", None)
    slotstate.pop("_anethum_submodules", None)

    if func_globals:
        func.__globals__.update(func_globals)
    # (A function of anethum.dill's recurse=False has the live
    # __main__.__dict__, whose own __builtins__ stays.)
    func.__globals__.setdefault("__builtins__", _BUILTINS_DICT)

    if closure is not None:
        cells = func.__closure__
        for i, cell in enumerate(closure):
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell: leave func's cell empty too
                continue
            cells[i].cell_contents = value

    for key, value in slotstate.items():
        setattr(func, key, value)


def make_empty_cell():
    """Return a new empty cell."""
    return types.CellType()


def make_cell(value):
    """Return a new cell holding ``value``."""
    return types.CellType(value)


def make_class_dict_cell(cls):
    """Return a new cell holding the dict ``cls`` keeps its attributes in.

    Such cells (``__classdict__``) are how annotation and type-parameter
    scopes in a class body (PEP 649, 695) see the class namespace; they
    must see the loaded class's own, live one.
    """
    return types.CellType(_own_dict(cls))


# --------------------------------------------------------------------------
# Classes, enums, type variables.
# --------------------------------------------------------------------------


def make_skeleton_class(type_constructor, name, bases, type_kwargs,
                        class_tracker_id, extra):
    """Create an (almost) empty class, to be filled by ``class_setstate``.

    ``type_constructor`` is the metaclass, ``bases`` the bases (the
    ``__orig_bases__`` for generic classes), ``type_kwargs`` a dict put
    into the class namespace before creation (``__module__``, a
    ``__dict__`` property...).  If a class is already known under
    ``class_tracker_id`` in this process, that class is returned instead.
    ``extra`` is reserved (None).
    """
    # Interned keys make the namespace look like one built by a class
    # statement (and keep re-pickling deterministic).
    namespace = {sys.intern(key): value for key, value in type_kwargs.items()}
    if _is_typed_dict_meta(type_constructor):
        # A TypedDict made by the functional form (before 3.12) has no
        # __orig_bases__, and its metaclass refuses the `dict` of its
        # __bases__: it adds `dict` itself.
        bases = tuple(base for base in bases if base is not dict)
    skeleton = types.new_class(
        name, bases, {"metaclass": type_constructor},
        lambda ns: ns.update(namespace))
    return _track_skeleton(class_tracker_id, skeleton)


def _is_typed_dict_meta(metaclass):
    return (getattr(metaclass, "__name__", None) == "_TypedDictMeta"
            and getattr(metaclass, "__module__", None) in ("typing", "typing_extensions"))


def make_skeleton_enum(bases, name, qualname, members, module,
                       class_tracker_id, extra):
    """Create an Enum class with its ``members`` (a name -> value dict).

    The rest of the class dict comes later through ``class_setstate``.  If
    an enum is already known under ``class_tracker_id`` in this process,
    that enum is returned instead.  ``extra`` is reserved (None).
    """
    # The Enum base (whose metaclass builds the class) comes last.
    metacls = type(bases[-1])
    classdict = metacls.__prepare__(name, bases)
    for member_name, member_value in members.items():
        classdict[member_name] = member_value
    enum_class = metacls.__new__(metacls, name, bases, classdict)
    enum_class.__module__ = module
    enum_class.__qualname__ = qualname
    return _track_skeleton(class_tracker_id, enum_class)


def class_setstate(cls, state):
    """Fill a class made by ``make_skeleton_class``/``make_skeleton_enum``.

    ``state`` is ``(class_dict, slotstate)``; each ``class_dict`` item is
    set with ``setattr``, except ``"_abc_impl"``, a list of classes to
    ``cls.register``, and (3.14+) ``"__annotations__"`` and
    ``"__annotate__"``, put in the class's dict under those very keys.
    ``slotstate`` is reserved (an empty dict).  Returns ``cls``.

    A class that this load did not make (it was already known under its
    tracker id) is returned unchanged: its pickled state is the same, and
    it may be live and in use.
    """
    if _is_tracked(cls) and cls not in _UNFILLED:
        return cls
    _UNFILLED.discard(cls)
    class_dict, _slotstate = state
    registry = None
    for attr_name, attr in class_dict.items():
        if attr_name == "_abc_impl":
            registry = attr
        else:
            _set_class_attribute(cls, attr_name, attr)

    # On 3.13+, setting any attribute on a class deletes __firstlineno__;
    # set it again last so the class keeps it.
    if sys.version_info >= (3, 13) and "__firstlineno__" in class_dict:
        cls.__firstlineno__ = class_dict["__firstlineno__"]

    if registry is not None:
        for subclass in registry:
            cls.register(subclass)
    return cls


def _own_dict(cls):
    """The dict behind ``cls.__dict__`` (the mappingproxy's one referent),
    or the mappingproxy itself, should that ever not be so."""
    proxy = _TYPE_DICT.__get__(cls, type(cls))
    referents = gc.get_referents(proxy)
    if len(referents) == 1 and type(referents[0]) is dict:
        return referents[0]
    return proxy


_TYPE_DICT = type.__dict__["__dict__"]

# From 3.14, setting these on a class goes through type's descriptors,
# which store them under other keys (__annotations_cache__,
# __annotate_func__) and drop the others; a class that had them in its
# dict gets them back there, as they were.
_STORED_AS_OTHER_KEYS = ("__annotations__", "__annotate__") if sys.version_info >= (3, 14) else ()


def _set_class_attribute(cls, name, value):
    if name in _STORED_AS_OTHER_KEYS:
        namespace = _own_dict(cls)
        if type(namespace) is dict:
            namespace[name] = value
            # A change made behind type's back: setting an attribute
            # makes the class drop its cached lookups.
            type.__setattr__(cls, "__anethum_modified__", None)
            type.__delattr__(cls, "__anethum_modified__")
            return
    setattr(cls, name, value)


def _is_tracked(cls):
    try:
        return cls in _TRACKER_ID_BY_CLASS
    except TypeError:
        return False


def make_typevar(name, bound, constraints, covariant, contravariant,
                 class_tracker_id):
    """Create a ``typing.TypeVar`` (or return the one already tracked)."""
    tv = typing.TypeVar(name, *constraints, bound=bound,
                        covariant=covariant, contravariant=contravariant)
    return lookup_class_or_track(class_tracker_id, tv)


def make_paramspec(name, bound, covariant, contravariant, class_tracker_id):
    """Create a ``typing.ParamSpec`` (Python 3.10+), or the tracked one."""
    paramspec_type = getattr(typing, "ParamSpec", None)
    if paramspec_type is None:
        raise TypeError(
            "typing.ParamSpec %r cannot be loaded: it needs Python 3.10 or "
            "later" % (name,))
    ps = paramspec_type(name, bound=bound, covariant=covariant,
                        contravariant=contravariant)
    return lookup_class_or_track(class_tracker_id, ps)


# --------------------------------------------------------------------------
# Modules and types.
# --------------------------------------------------------------------------


def subimport(name):
    """Import the module ``name`` (dotted names too) and return it."""
    __import__(name)
    return sys.modules[name]


def dynamic_subimport(name, vars):
    """Build a module ``name`` (not put in ``sys.modules``) from ``vars``."""
    module = types.ModuleType(name)
    module.__dict__.update(vars)
    module.__dict__["__builtins__"] = _BUILTINS_DICT
    return module


def getset_descriptor(owner, name):
    """Return the descriptor ``name`` (``__dict__``, ``__weakref__``...) of
    the class ``owner``, as its own dict holds it.

    ``getattr`` would give what type's own ``__dict__`` makes of it. From
    3.15, classes share ``object``'s ``__dict__`` and ``__weakref__``
    getsets, which ``object`` itself doesn't hold: they come from a class
    that has both.
    """
    namespace = _TYPE_DICT.__get__(owner, type(owner))
    if name in namespace:
        return namespace[name]
    return _TYPE_DICT.__get__(_WithDictAndWeakref)[name]


class _WithDictAndWeakref:
    pass


def builtin_type(name):
    """Return ``types.<name>`` (e.g. ``"CodeType"``, ``"FunctionType"``)."""
    return getattr(types, name)


# --------------------------------------------------------------------------
# Misc reconstructors.
# --------------------------------------------------------------------------


def make_dict_keys(items, is_ordered=False):
    """Return a keys view over ``items`` (of an OrderedDict if ordered)."""
    if is_ordered:
        return OrderedDict.fromkeys(items).keys()
    return dict.fromkeys(items).keys()


def make_dict_values(items, is_ordered=False):
    """Return a values view holding ``items`` (of an OrderedDict if ordered)."""
    if is_ordered:
        return OrderedDict(enumerate(items)).values()
    return dict(enumerate(items)).values()


def make_dict_items(mapping, is_ordered=False):
    """Return the items view of ``mapping`` (as an OrderedDict if ordered)."""
    if is_ordered:
        return OrderedDict(mapping).items()
    return mapping.items()


def file_reconstructor(retval):
    """Return ``retval`` (an ``io.StringIO`` standing for a pickled file)."""
    return retval


def _dataclass_sentinels():
    return {
        sentinel.name: sentinel
        for sentinel in (dataclasses._FIELD, dataclasses._FIELD_CLASSVAR,
                         dataclasses._FIELD_INITVAR)
    }


def dataclass_field_sentinel(name):
    """Return the dataclasses field-type sentinel called ``name``.

    These are ``dataclasses._FIELD``, ``_FIELD_CLASSVAR`` and
    ``_FIELD_INITVAR``, whose identity ``dataclasses`` relies on.
    """
    return _dataclass_sentinels()[name]


def make_memoryview(data, format, shape, readonly):
    """Return a memoryview of ``data`` with the given format and shape,
    over a bytearray unless ``readonly``."""
    view = memoryview(data if readonly else bytearray(data))
    if view.format == format and view.shape == tuple(shape):
        return view
    return view.cast("B").cast(format, shape)


class _Dead:
    """The referent of a weak reference that was dead when pickled."""


def make_weakref(referent):
    """Return ``weakref.ref(referent)``; a dead reference for None."""
    if referent is None:
        return weakref.ref(_Dead())
    return weakref.ref(referent)


def make_weakproxy(referent, callable):
    """Return ``weakref.proxy(referent)``; a dead (callable) proxy for None."""
    if referent is None:
        return weakref.proxy((lambda: None) if callable else _Dead())
    return weakref.proxy(referent)


def capsule_by_name(name):
    """Return the PyCapsule that the dotted ``name`` finds (``module.attr``,
    the way ``PyCapsule_Import`` reads it). A capsule's pointer means
    nothing in another process, so none is ever made from one."""
    import importlib
    import pickle
    for cut in range(1, name.count(".") + 1):
        module_name, *attributes = name.rsplit(".", cut)
        try:
            found = importlib.import_module(module_name)
            for attribute in attributes:
                found = getattr(found, attribute)
        except (ImportError, AttributeError):
            continue
        if type(found).__name__ == "PyCapsule":
            return found
    raise pickle.UnpicklingError("no PyCapsule named %r in this process" % (name,))


def make_lru_cache(func, maxsize, typed):
    """Return ``functools.lru_cache(maxsize, typed)(func)``, its cache empty."""
    import functools
    return functools.lru_cache(maxsize=maxsize, typed=typed)(func)


def make_match(pattern, string, pos, endpos, regs):
    """Return the match of ``pattern`` in ``string[pos:endpos]`` whose group
    spans are ``regs``: found again the way ``search``, ``match``,
    ``fullmatch`` or ``finditer`` found it."""
    import pickle
    candidates = [pattern.search(string, pos, endpos), pattern.match(string, pos, endpos),
                  pattern.fullmatch(string, pos, endpos)]
    for found in candidates:
        if found is not None and found.regs == regs:
            return found
    for found in pattern.finditer(string, pos, endpos):
        if found.regs == regs:
            return found
        if found.start() > regs[0][0]:
            break
    raise pickle.UnpicklingError("the pattern %r no longer matches %r at %r" % (pattern.pattern, string, regs[0]))


def make_file_handle(name, mode, position, closed, fmode, contents, raw=False):
    """Reopen the file an ``anethum.dill`` pickle saved as a handle, as
    dill's ``_create_filehandle`` does for its ``fmode`` (ported from dill,
    BSD-3-Clause, Copyright (c) 2004-2016 California Institute of
    Technology, 2016-2025 The Uncertainty Quantification Foundation):
    HANDLE_FMODE (0) opens the file by name with its mode (so "w" truncates
    it, as dill does), CONTENTS_FMODE (1) opens it without truncating and
    seeks to the saved position (or the end, if the file got shorter),
    FILE_FMODE (2) writes the saved ``contents`` back first. A file that is
    gone opens as a temporary file when it was read. ``raw`` reopens
    unbuffered (an ``io.FileIO``)."""
    import os
    import pickle
    import tempfile
    standard = {"<stdin>": sys.__stdin__, "<stdout>": sys.__stdout__, "<stderr>": sys.__stderr__}
    if name in standard:
        return standard[name]
    buffering = 0 if raw else -1
    if not isinstance(name, (str, bytes, os.PathLike)):
        # An unnamed temporary file (its name is its descriptor here only).
        handle = tempfile.TemporaryFile(mode, buffering)
    else:
        try:
            exists = os.path.exists(name)
        except (OSError, ValueError):
            exists = False
        current_size = os.path.getsize(name) if exists else 0
        if position is not None and position > current_size and fmode == 1:
            position = current_size
        try:
            if fmode == 2:
                empty = b"" if "b" in mode else ""
                handle = open(name, mode if "w" in mode else ("wb" if "b" in mode else "w"), buffering)
                handle.write(contents if contents is not None else empty)
                if "w" not in mode:
                    handle.close()
                    handle = open(name, mode, buffering)
            elif not exists and "r" in mode:
                handle = tempfile.TemporaryFile(mode, buffering)
            elif fmode == 1 and ("w" in mode or "x" in mode):
                # Don't truncate when reopening.
                flags = os.O_CREAT | (os.O_RDWR if "+" in mode else os.O_WRONLY)
                handle = open(os.open(name, flags), mode.replace("x", "w"), buffering)
                inner = getattr(handle, "buffer", handle)
                getattr(inner, "raw", inner).name = name
            else:
                handle = open(name, mode, buffering)
        except OSError as error:
            raise pickle.UnpicklingError("cannot reopen the pickled file %r (%s): %s" % (name, mode, error))
    if closed:
        handle.close()
    elif position is not None and position >= 0 and fmode != 0:
        handle.seek(position)
    return handle

def main_module_dict():
    """Return ``__main__.__dict__`` of the loading process: the globals of
    ``__main__`` functions pickled by ``anethum.dill`` with ``recurse=False``
    (dill's default), which share the loading side's namespace."""
    return sys.modules["__main__"].__dict__


def make_thread_handle(ident, done):
    """Return a thread handle for ``ident`` (3.13+), done if it was, as
    dill's ``_create_thread_handle`` makes it."""
    handle = threading._make_thread_handle(ident)
    if done:
        handle._set_done()
    return handle
