"""Pickle and restore a whole module: an interpreter session, a script's
``__main__``, an imported module or a module made at run time.

``dump_module``, ``load_module`` and ``load_module_asdict`` follow dill's
(0.3.6 and later, read from dill 0.4.1's ``dill/session.py``), with
anethum's pickler doing the pickling, so the files load with the plain
``pickle.load`` wherever ``anethum`` is importable.  The load-time helpers
they call are in ``anethum._session_loaders``.

How a module is pickled:

* the module itself is ``session_module(name, imported)`` (the importable
  module of that name, ``__main__`` included, or a new module object),
  then ``session_module_setstate(module, (namespace, submodules))``
  updates its dict: the saved module's dict without ``__builtins__``,
  ``__loader__`` and IPython's singletons;
* the functions whose globals are that dict (those defined in the module:
  its functions, lambdas, closures and methods of its classes) get the
  loaded module's dict as their globals, as in the saved session;
* its classes, enums and instances go by value (anethum's by-value
  pickling: for an importable module, its name is registered with
  ``register_pickle_by_value`` during the dump);
* imported modules go by reference; with ``refimported=True``, so do the
  objects the namespace got from other modules (dill's ``_stash_modules``
  rules); with ``refonfail=True``, names whose value can't be pickled go by
  reference when they can be found in an imported module, else are left
  out, with a ``PicklingWarning`` naming each one.

A second reference to the module's dict in its namespace (``g =
globals()``) is the loaded module's dict.  Deeper ones (a dict holding
``globals()``) are copies: ``reducer_override`` never sees exact dicts.
"""

import builtins
import io
import os
import pickle
import re
import sys
import tempfile
import types
import warnings
from collections import defaultdict
from importlib.machinery import EXTENSION_SUFFIXES
from types import (
    BuiltinMethodType,
    FunctionType,
    MethodType,
    ModuleType,
)

from . import _registry
from . import _session_loaders as _L
from ._anethum import Pickler as _BasePickler

__all__ = [
    "PicklingWarning",
    "dump_module",
    "dump_session",
    "load_module",
    "load_module_asdict",
    "load_session",
]


class PicklingWarning(UserWarning, pickle.PickleError):
    """``dump_module(refonfail=True)`` saved an object by reference, or left
    it out, because it could not be pickled by value."""


def _default_filename():
    return os.path.join(tempfile.gettempdir(), "session.pkl")


def _main_module():
    return sys.modules.get("__main__")


# --------------------------------------------------------------------------
# Which objects are imported (dill's _module_map / _lookup_module).
# --------------------------------------------------------------------------

_IMPORTED_AS_TYPES = (ModuleType, type, FunctionType, MethodType, BuiltinMethodType)
try:
    import _socket
    _IMPORTED_AS_TYPES += (type(_socket.CAPI),)
except (ImportError, AttributeError):
    pass
_IMPORTED_AS_MODULES = tuple(re.compile(x) for x in (
    "ctypes", "typing", "subprocess", "threading",
    r"concurrent\.futures(\.\w+)?", r"multiprocessing(\.\w+)?"))

_ATOMS = (int, float, complex, str, bytes, bool, type(None))

_IPYTHON_SINGLETONS = ("_dh", "_ih", "_oh", "In", "Out", "exit",
                       "get_ipython", "quit")


class _ModuleMap:
    def __init__(self):
        self.by_name = defaultdict(list)
        self.by_id = defaultdict(list)
        self.top_level = {}
        for modname, module in list(sys.modules.items()):
            if modname in ("__main__", "__mp_main__") or not isinstance(module, ModuleType):
                continue
            if "." not in modname:
                self.top_level[id(module)] = modname
            try:
                items = list(module.__dict__.items())
            except Exception:
                continue
            for objname, modobj in items:
                self.by_name[objname].append((modobj, modname))
                self.by_id[id(modobj)].append((modobj, objname, modname))


def _module_name_of(obj):
    try:
        name = getattr(obj, "__module__", None)
    except Exception:
        return None
    return name if isinstance(name, str) else None


def _lookup_module(modmap, name, obj, main_module):
    """(module name, attribute name) of an importable module that holds
    ``obj``, as dill finds imported objects; (None, None) if none."""
    for modobj, modname in modmap.by_name.get(name, ()):
        if modobj is obj and sys.modules.get(modname) is not main_module:
            return modname, name
    module_name = _module_name_of(obj)
    if isinstance(obj, _IMPORTED_AS_TYPES) or (
            module_name is not None
            and any(regex.fullmatch(module_name) for regex in _IMPORTED_AS_MODULES)):
        for modobj, objname, modname in modmap.by_id.get(id(obj), ()):
            if sys.modules.get(modname) is not main_module:
                return modname, objname
    return None, None


def _is_builtin_module(module):
    if not hasattr(module, "__file__"):
        return True
    if module.__file__ is None:
        return False
    names = ["base_prefix", "base_exec_prefix", "exec_prefix", "prefix", "real_prefix"]
    rp = os.path.realpath
    return (
        any(module.__file__.startswith(getattr(sys, name))
            or rp(module.__file__).startswith(rp(getattr(sys, name)))
            for name in names if hasattr(sys, name))
        or module.__file__.endswith(tuple(EXTENSION_SUFFIXES))
        or "site-packages" in module.__file__
    )


def _is_imported_module(module):
    return (getattr(module, "__loader__", None) is not None
            or any(module is m for m in list(sys.modules.values())))


def _stash_imported(main_module, namespace, modmap):
    """The names of ``namespace`` whose values were imported, as
    ``{name: (module name, attribute name or None)}`` (dill's
    ``_stash_modules``: None, True, False and builtin modules excluded)."""
    refs = {}
    for name, obj in namespace.items():
        if obj is main_module or obj is main_module.__dict__:
            continue
        if any(obj is singleton for singleton in (None, False, True)) or (
                isinstance(obj, ModuleType) and _is_builtin_module(obj)):
            continue
        source_module, objname = _lookup_module(modmap, name, obj, main_module)
        if source_module is not None:
            refs[name] = (source_module, objname)
        elif id(obj) in modmap.top_level:
            refs[name] = (modmap.top_level[id(obj)], None)
    return refs


def _find_reference(modmap, name, obj, main_module):
    """Where an object that can't be pickled by value can be found by
    reference: (module name, qualified name or None), or None."""
    source_module, objname = _lookup_module(modmap, name, obj, main_module)
    if source_module is not None:
        return source_module, objname
    for modobj, objname, modname in modmap.by_id.get(id(obj), ()):
        if modobj is obj and sys.modules.get(modname) is not main_module:
            return modname, objname
    if isinstance(obj, ModuleType):
        modname = getattr(obj, "__name__", None)
        if isinstance(modname, str) and sys.modules.get(modname) is obj \
                and obj is not main_module:
            return modname, None
    module_name = _module_name_of(obj)
    try:
        qualname = getattr(obj, "__qualname__", None)
    except Exception:
        qualname = None
    if (module_name is not None and isinstance(qualname, str)
            and "<locals>" not in qualname
            and sys.modules.get(module_name) not in (None, main_module)):
        try:
            if _L.import_attribute(module_name, qualname) is obj:
                return module_name, qualname
        except Exception:
            pass
    return None


# --------------------------------------------------------------------------
# The pickler.
# --------------------------------------------------------------------------


class _Reduced:
    """A stand-in whose reduction is given: ``reducer_override`` returns
    ``reduce()``."""

    __slots__ = ("reduce",)

    def __init__(self, reduce):
        self.reduce = reduce


def _code_names(code, out):
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_names(const, out)


_LazyImportType = getattr(types, "LazyImportType", None)


def _resolved(value):
    if _LazyImportType is not None and type(value) is _LazyImportType:
        return value.resolve()
    return value


def _session_pickler_class(base):
    """A subclass of the pickler class ``base`` (``anethum.Pickler`` or a
    subclass of it) that pickles one module as a session.  A
    ``reducer_override`` of ``base`` is consulted for what the session
    leaves alone."""

    class SessionPickler(base):
        def __init__(self, file, protocol, session, trial=False, **kwds):
            base.__init__(self, file, protocol, **kwds)
            self._session = session
            self._trial = trial
            self._base_override = getattr(super(), "reducer_override", None)

        def reducer_override(self, obj):
            session = self._session
            tp = type(obj)
            if tp is _Reduced:
                return obj.reduce()
            ref = session.ref_by_id.get(id(obj))
            if ref is not None and ref[0] is obj:
                return ref[1]
            if tp is FunctionType:
                if obj.__globals__ is session.module_dict:
                    return session.reduce_function(obj)
            elif obj is session.module:
                if self._trial:
                    return ModuleType, (session.name,)
                return session.reduce_module()
            elif session.registered_prefix is not None:
                reduction = session.reduce_submodule_object(obj)
                if reduction is not None:
                    return reduction
            if self._base_override is not None:
                return self._base_override(obj)
            return NotImplemented

    SessionPickler.__qualname__ = SessionPickler.__name__ = "SessionPickler"
    return SessionPickler


_SessionPickler = _session_pickler_class(_BasePickler)


class _Session:
    """What one ``dump_module`` call pickles, and how."""

    def __init__(self, module, namespace, refs):
        self.module = module
        self.module_dict = module.__dict__
        self.name = module.__name__
        self.imported = _is_imported_module(module)
        self.namespace = namespace
        self.refs = refs
        self.registered_prefix = None
        self.ref_by_id = {}
        self.code_names = set()
        self.dict_ref = _Reduced(self._reduce_module_dict)

    # -- the module and its namespace --

    def state_namespace(self):
        state = {}
        for name, value in self.namespace.items():
            if name in self.refs:
                state[name] = _Reduced(self._ref_reducer(self.refs[name]))
            elif value is self.module_dict:
                state[name] = self.dict_ref
            else:
                state[name] = value
        return state

    def prepare_refs(self):
        self.ref_by_id = {}
        for name, (modname, objname) in self.refs.items():
            obj = self.namespace.get(name)
            if not isinstance(obj, _ATOMS):
                self.ref_by_id[id(obj)] = (obj, (_L.import_attribute, (modname, objname)))

    @staticmethod
    def _ref_reducer(ref):
        modname, objname = ref
        return lambda: (_L.import_attribute, (modname, objname))

    def _reduce_module_dict(self):
        return getattr, (self.module, "__dict__")

    def reduce_module(self):
        self.code_names = set()
        state = (self.state_namespace(), _Reduced(self._reduce_submodules))
        return (_L.session_module, (self.name, self.imported), state,
                None, None, _L.session_module_setstate)

    def _reduce_submodules(self):
        names = self.code_names
        found = set()
        for value in self.namespace.values():
            if not isinstance(value, ModuleType):
                continue
            prefix = getattr(value, "__name__", None)
            if not isinstance(prefix, str):
                continue
            prefix += "."
            for modname in list(sys.modules):
                if modname.startswith(prefix) and all(
                        part in names for part in modname[len(prefix):].split(".")):
                    found.add(modname)
        return tuple, (sorted(found),)

    # -- functions of the module: their globals are its dict --

    def reduce_function(self, func):
        code = func.__code__
        _code_names(code, self.code_names)
        closure = func.__closure__
        empty_cells = None if closure is None else tuple(types.CellType() for _ in closure)
        slots = {}
        if func.__name__ != code.co_name:
            slots["__name__"] = func.__name__
        if func.__qualname__ != getattr(code, "co_qualname", code.co_name):
            slots["__qualname__"] = func.__qualname__
        annotate = getattr(func, "__annotate__", None) if sys.version_info >= (3, 14) else None
        if annotate is not None:
            slots["__annotate__"] = annotate
        else:
            annotations = func.__annotations__
            if annotations:
                slots["__annotations__"] = annotations
        if func.__kwdefaults__ is not None:
            slots["__kwdefaults__"] = func.__kwdefaults__
        if func.__defaults__ is not None:
            slots["__defaults__"] = func.__defaults__
        type_params = getattr(func, "__type_params__", None)
        if type_params:
            slots["__type_params__"] = type_params
        slots["__module__"] = func.__module__
        slots["__doc__"] = func.__doc__
        if closure is not None:
            slots["__closure__"] = closure
        state = (dict(func.__dict__), slots)
        return (_L.make_function, (code, self.dict_ref, None, None, empty_cells),
                state, None, None, _L.function_setstate)

    # -- an importable package registered by value for the dump: its
    #    submodules and what they define still go by reference --

    def reduce_submodule_object(self, obj):
        prefix = self.registered_prefix
        if isinstance(obj, ModuleType):
            name = getattr(obj, "__name__", None)
            if isinstance(name, str) and name.startswith(prefix) \
                    and sys.modules.get(name) is obj:
                return _L.import_attribute, (name, None)
            return None
        if not isinstance(obj, (type, FunctionType)):
            return None
        module_name = _module_name_of(obj)
        if module_name is None or not module_name.startswith(prefix):
            return None
        qualname = getattr(obj, "__qualname__", None)
        if not isinstance(qualname, str) or "<locals>" in qualname:
            return None
        try:
            if _L.import_attribute(module_name, qualname) is obj:
                return _L.import_attribute, (module_name, qualname)
        except Exception:
            pass
        return None


class _RegisteredByValue:
    """Registers an importable module for pickling by value during a dump,
    so that its classes are pickled by value, as dill does in sessions."""

    def __init__(self, session):
        self.session = session
        self.name = None

    def __enter__(self):
        session = self.session
        name = session.name
        if (session.imported and name != "__main__"
                and sys.modules.get(name) is session.module
                and not _registry.is_registered_pickle_by_value(name)):
            _registry.PICKLE_BY_VALUE_MODULES.add(name)
            self.name = name
            session.registered_prefix = name + "."
        return self

    def __exit__(self, *exc_info):
        if self.name is not None:
            _registry.PICKLE_BY_VALUE_MODULES.discard(self.name)
            self.session.registered_prefix = None


def _namespace_of(module):
    namespace = {}
    for name, value in module.__dict__.items():
        if name in ("__builtins__", "__loader__"):
            continue
        if name in _IPYTHON_SINGLETONS and str(
                getattr(value, "__module__", "") or "").startswith("IPython"):
            continue
        namespace[name] = _resolved(value)
    return namespace


class _NullWriter:
    def write(self, data):
        return len(data)


def _failing_names(session, pickler_class, protocol, kwds):
    failing = []
    state = session.state_namespace()
    for name, value in state.items():
        pickler = pickler_class(_NullWriter(), protocol, session, trial=True, **kwds)
        try:
            pickler.dump(value)
        except Exception as exc:
            failing.append((name, exc))
    return failing


def _dump(session, file, protocol, refonfail, kwds, pickler_class=None, stacklevel=1):
    if pickler_class is None:
        pickler_class = _SessionPickler
    with _RegisteredByValue(session):
        session.prepare_refs()
        if not refonfail:
            pickler_class(file, protocol, session, **kwds).dump(session.module)
            return
        buffer = io.BytesIO()
        try:
            pickler_class(buffer, protocol, session, **kwds).dump(session.module)
        except Exception:
            failing = _failing_names(session, pickler_class, protocol, kwds)
            if not failing:
                raise
            modmap = _ModuleMap()
            for name, exc in failing:
                obj = session.namespace[name]
                ref = _find_reference(modmap, name, obj, session.module)
                if ref is not None:
                    session.refs[name] = ref
                    where = ref[0] if ref[1] is None else "%s.%s" % ref
                    message = ("dump_module: %r (%s object) can't be pickled by "
                               "value (%s: %s); saved by reference to %s"
                               % (name, type(obj).__qualname__, type(exc).__name__, exc, where))
                else:
                    del session.namespace[name]
                    message = ("dump_module: %r (%s object) can't be pickled by "
                               "value (%s: %s) nor found by reference; left out of "
                               "the saved module %r"
                               % (name, type(obj).__qualname__, type(exc).__name__,
                                  exc, session.name))
                warnings.warn(message, PicklingWarning, stacklevel=stacklevel + 2)
            session.prepare_refs()
            buffer = io.BytesIO()
            pickler_class(buffer, protocol, session, **kwds).dump(session.module)
        file.write(buffer.getvalue())


# --------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------


def dump_module(filename=None, module=None, refimported=False, refonfail=False, **kwds):
    """Pickle the current state of ``__main__`` or another module to a file.

    Saves the contents of ``__main__`` (an interactive session, a script),
    an imported module, or a module object made at run time (with
    ``types.ModuleType``): its functions, lambdas, closures, classes,
    enums, instances and data, with anethum's pickler.  Imported modules are
    saved by reference.  Restore it with ``load_module``; the file also
    loads with the plain ``pickle.load`` (into the module of that name, or
    a new module object for one made at run time) wherever ``anethum`` is
    importable.

    Args:
        filename: a path (``str`` or ``os.PathLike``) or a writable binary
            stream.  If None (the default), the file ``session.pkl`` in the
            temporary directory (``tempfile.gettempdir()``) is written, as
            dill 0.4.1 does (nothing goes to stdout).
        module: a module object or the name of an importable module; None
            (the default) saves ``__main__``.
        refimported: if True, objects imported into the module's namespace
            from other modules (``from m import x``) are saved by reference
            (rules of dill's ``_stash_modules``), as modules always are.
        refonfail: if True, a name whose value can't be pickled by value
            is saved by reference to an importable module that has it; if
            there is none it is left out of the saved module.  Each one
            gets a ``PicklingWarning`` naming it (anethum's addition; dill
            0.4.1 has no ``refonfail``).  The pickle is then made in memory
            before it is written, and only a name of the module's namespace
            is replaced: an unpicklable object deeper inside a value makes
            that whole value go by reference or be left out.
        **kwds: passed to ``anethum.Pickler`` (``protocol``,
            ``fix_imports``, ``buffer_callback``, ``by_value``; with
            ``by_value=False`` the module's classes would go by reference).
            dill's ``recurse`` is accepted and ignored (its ``dump_module``
            ignores it too).  The old names ``main`` and
            ``byref`` of ``module`` and ``refimported`` are accepted with a
            ``PendingDeprecationWarning``.

    Raises:
        pickle.PicklingError, TypeError...: if pickling fails (the file may
            then be partly written, except with ``refonfail``).
        TypeError: if ``module`` is not a module.

    Example:
        >>> import anethum
        >>> squared = lambda x: x * x
        >>> anethum.dump_module("session.pkl")    # __main__
        >>> # later, in a new interpreter:
        >>> anethum.load_module("session.pkl")
        >>> squared(3)
        9
    """
    for old_par, par in [("main", "module"), ("byref", "refimported")]:
        if old_par in kwds:
            message = "The argument %r has been renamed %r" % (old_par, par)
            if old_par == "byref":
                message += " to distinguish it from dill.settings['byref']"
            warnings.warn(message + ".", PendingDeprecationWarning, stacklevel=2)
            if locals()[par]:
                raise TypeError("both %r and %r arguments were used" % (par, old_par))
    refimported = kwds.pop("byref", refimported)
    module = kwds.pop("main", module)
    # dill's Pickler option that its dump_module overrides anyway.
    kwds.pop("recurse", None)
    pickler_class = kwds.pop("_pickler_class", None)
    stacklevel = kwds.pop("_stacklevel", 1)
    protocol = kwds.pop("protocol", None)

    main = module
    if main is None:
        main = _main_module()
    elif isinstance(main, str):
        main = _import_module(main)
    if not isinstance(main, ModuleType):
        raise TypeError("%r is not a module" % main)

    namespace = _namespace_of(main)
    refs = {}
    if refimported:
        refs = _stash_imported(main, namespace, _ModuleMap())
    session = _Session(main, namespace, refs)
    if pickler_class is not None:
        pickler_class = _session_pickler_class(pickler_class)

    if hasattr(filename, "write"):
        file = filename
    else:
        if filename is None:
            filename = _default_filename()
        file = open(filename, "wb")
    try:
        _dump(session, file, protocol, refonfail, kwds, pickler_class, stacklevel)
    finally:
        if file is not filename:
            file.close()


def dump_session(filename=None, main=None, byref=False, **kwds):
    """Deprecated alias of ``dump_module(filename, module=main,
    refimported=byref, **kwds)`` (dill's old signature); warns with a
    ``PendingDeprecationWarning``."""
    warnings.warn("dump_session() has been renamed dump_module()",
                  PendingDeprecationWarning, stacklevel=2)
    dump_module(filename, module=main, refimported=byref, _stacklevel=2, **kwds)


def _import_module(import_name, safe=False):
    try:
        if import_name.startswith("__runtime__."):
            return sys.modules[import_name]
        if "." in import_name:
            items = import_name.split(".")
            module = ".".join(items[:-1])
            obj = items[-1]
            submodule = getattr(__import__(module, None, None, [obj]), obj)
            if isinstance(submodule, (ModuleType, type)):
                return submodule
            return __import__(import_name, None, None, [obj])
        return __import__(import_name)
    except (ImportError, AttributeError, KeyError):
        if safe:
            return None
        raise


class _PeekableReader:
    """A stream wrapper with a peek(): dill's, which seeks back after
    reading; for a stream that can't seek, what peek() read is kept and
    handed out by the next reads."""

    def __init__(self, stream):
        self.stream = stream
        self._ahead = b""

    def read(self, n=-1):
        ahead = self._ahead
        if not ahead:
            return self.stream.read(n)
        if n is None or n < 0:
            self._ahead = b""
            return ahead + self.stream.read()
        data, self._ahead = ahead[:n], ahead[n:]
        if len(data) < n:
            data += self.stream.read(n - len(data))
        return data

    def readline(self):
        ahead = self._ahead
        if not ahead:
            return self.stream.readline()
        end = ahead.find(b"\n")
        if end >= 0:
            self._ahead = ahead[end + 1:]
            return ahead[:end + 1]
        self._ahead = b""
        return ahead + self.stream.readline()

    def tell(self):
        return self.stream.tell() - len(self._ahead)

    def close(self):
        return self.stream.close()

    def peek(self, n):
        stream = self.stream
        if not self._ahead:
            try:
                if hasattr(stream, "flush"):
                    stream.flush()
                position = stream.tell()
                stream.seek(position)  # assert seek() works before reading
                chunk = stream.read(n)
                stream.seek(position)
                return chunk
            except (AttributeError, OSError):
                pass
        if not hasattr(stream, "read"):
            raise NotImplementedError("stream is not peekable: %r" % (stream,))
        while len(self._ahead) < n:
            chunk = stream.read(n - len(self._ahead))
            if not chunk:
                break
            self._ahead += chunk
        return self._ahead


def _make_peekable(stream):
    if hasattr(stream, "peek"):
        return stream
    if not (hasattr(stream, "tell") and hasattr(stream, "seek")):
        try:
            return io.BufferedReader(stream)
        except Exception:
            pass
    return _PeekableReader(stream)


_MARKER_MODULE = "anethum._session_loaders"
_MARKER_NAME = "session_module"
_UNICODE = {"UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}


def _identify_module(file, main=None):
    """The name of the module saved in the (peekable) ``file``, with
    ``__runtime__.`` in front for a module that was not imported (dill's
    convention); None if ``file`` can't be peeked but ``main`` is known."""
    from pickletools import genops
    found_marker = False
    strings = (None, None)
    module_name = None
    try:
        for opcode, arg, _pos in genops(file.peek(256)):
            name = opcode.name
            if not found_marker:
                if name == "GLOBAL" and arg == "%s %s" % (_MARKER_MODULE, _MARKER_NAME):
                    found_marker = True
                elif name == "STACK_GLOBAL" and strings == (_MARKER_MODULE, _MARKER_NAME):
                    found_marker = True
                elif name in _UNICODE:
                    strings = (strings[1], arg)
            elif module_name is None:
                if name in _UNICODE:
                    module_name = arg
            elif name in ("NEWTRUE", "NEWFALSE", "INT"):
                imported = name == "NEWTRUE" or (name == "INT" and bool(arg))
                return module_name if imported else "__runtime__." + module_name
        raise pickle.UnpicklingError("reached STOP without finding the saved module")
    except (NotImplementedError, ValueError) as error:
        # ValueError: the end of the peeked chunk came before a STOP.
        if isinstance(error, NotImplementedError) and main is not None:
            return None
        raise pickle.UnpicklingError("unable to identify the saved module") from error


def load_module(filename=None, module=None, **kwds):
    """Update a module (by default the one saved) with the state saved by
    ``dump_module`` at ``filename``.

    The saved module can be ``__main__`` (an interpreter session, a
    script), an imported module or a module object made at run time.  Its
    saved namespace is loaded into the module: ``__main__`` (the running
    one) or the imported module of that name, unless ``module`` says which;
    for a module made at run time, into ``module`` if given, else into a new
    ``types.ModuleType`` that is returned.  Loaded functions have that
    module's dict as their globals.

    Args:
        filename: a path (``str`` or ``os.PathLike``) or a readable binary
            stream.  If None (the default), ``session.pkl`` in the
            temporary directory (``tempfile.gettempdir()``), as dill does.
        module: a module object or the name of an importable module; its
            name and kind (imported, or made at run time) must match those
            of the saved module.
        **kwds: passed to ``pickle.Unpickler`` (``fix_imports``,
            ``encoding``, ``errors``, ``buffers``); dill's ``ignore`` is
            accepted and ignored.  The old name ``main`` of ``module`` is
            accepted with a ``PendingDeprecationWarning``.

    Raises:
        pickle.UnpicklingError: if unpickling fails, or the file holds no
            module saved by ``dump_module``.
        ValueError: if ``module`` and the saved module are incompatible, as
            dill says it: ``can't update module 'foo' with the saved state of
            module 'bar'`` (or of a module-type object / imported module).
        TypeError: if ``module`` is not a module.

    Returns:
        The module, if the saved module is not ``__main__`` and no
        ``module`` was given; otherwise None.
    """
    if "main" in kwds:
        warnings.warn("The argument 'main' has been renamed 'module'.",
                      PendingDeprecationWarning, stacklevel=2)
        if module is not None:
            raise TypeError("both 'module' and 'main' arguments were used")
        module = kwds.pop("main")
    kwds.pop("ignore", None)  # dill's Unpickler option, moot here
    main = module
    if hasattr(filename, "read"):
        file = filename
    else:
        if filename is None:
            filename = _default_filename()
        file = open(filename, "rb")
    try:
        file = _make_peekable(file)
        pickle_main = _identify_module(file, main)
        if main is None and pickle_main is not None:
            main = pickle_main
        if isinstance(main, str):
            if main.startswith("__runtime__."):
                main = ModuleType(main.partition(".")[-1])
            else:
                main = _import_module(main)
        if main is not None:
            if not isinstance(main, ModuleType):
                raise TypeError("%r is not a module" % main)
        else:
            main = _main_module()

        is_main_imported = _is_imported_module(main)
        if pickle_main is not None:
            is_runtime_mod = pickle_main.startswith("__runtime__.")
            if is_runtime_mod:
                pickle_main = pickle_main.partition(".")[-1]
            error_msg = "can't update{} module{} %r with the saved state of{} module{} %r"
            if is_runtime_mod and is_main_imported:
                raise ValueError(
                    error_msg.format(" imported", "", "", "-type object")
                    % (main.__name__, pickle_main))
            if not is_runtime_mod and not is_main_imported:
                raise ValueError(
                    error_msg.format("", "-type object", " imported", "")
                    % (pickle_main, main.__name__))
            if main.__name__ != pickle_main:
                raise ValueError(error_msg.format("", "", "", "") % (main.__name__, pickle_main))

        unpickler = pickle.Unpickler(file, **kwds)
        previous = _L._set_target(main)
        try:
            loaded = unpickler.load()
        finally:
            _L._set_target(previous)
    finally:
        if not hasattr(filename, "read"):
            file.close()
    if loaded is not main:
        raise pickle.UnpicklingError(
            "the pickle holds %s, not a module saved by dump_module"
            % (type(loaded).__qualname__,))
    if main is _main_module() or main is module:
        return None
    return main


def load_session(filename=None, main=None, **kwds):
    """Deprecated alias of ``load_module(filename, module=main, **kwds)``
    (dill's old signature), returning None; warns with a
    ``PendingDeprecationWarning``."""
    warnings.warn("load_session() has been renamed load_module().",
                  PendingDeprecationWarning, stacklevel=2)
    load_module(filename, module=main, **kwds)


def load_module_asdict(filename=None, update=False, **kwds):
    """Load the namespace of a module saved by ``dump_module`` into a dict,
    without changing any module.

    The near-equivalent of ``vars(anethum.load_module(filename)).copy()``,
    except that the module itself (``__main__`` for a session) is left as
    it is: the namespace is loaded into a new module object of the saved
    name, whose dict is returned (its functions' globals).  The dict's
    ``__session__`` is ``str(filename)``.

    Args:
        filename: a path (``str`` or ``os.PathLike``) or a readable binary
            stream.  If None (the default), ``session.pkl`` in the
            temporary directory (``tempfile.gettempdir()``), as dill does.
        update: if True, the dict starts as a copy of the current module's
            namespace (the module is imported if it isn't), then the saved
            state is loaded over it.
        **kwds: passed to ``pickle.Unpickler``.

    Raises:
        pickle.UnpicklingError: if unpickling fails.
        TypeError: if a ``module`` keyword is given.

    Returns:
        The dict of the loaded module.
    """
    if "module" in kwds:
        raise TypeError("'module' is an invalid keyword argument for load_module_asdict()")
    if hasattr(filename, "read"):
        file = filename
    else:
        if filename is None:
            filename = _default_filename()
        file = open(filename, "rb")
    swapped = False
    try:
        file = _make_peekable(file)
        main_name = _identify_module(file)
        is_runtime = main_name.startswith("__runtime__.")
        name = main_name.partition(".")[-1] if is_runtime else main_name
        main = ModuleType(name)
        old_main = None if is_runtime else sys.modules.get(main_name)
        if update and not is_runtime:
            if old_main is None:
                old_main = _import_module(main_name)
            main.__dict__.update(old_main.__dict__)
        else:
            main.__builtins__ = builtins
        if not is_runtime:
            # Loaded as the imported module of that name, while it is.
            swapped = True
            sys.modules[main_name] = main
        load_module(file, module=main, **kwds)
    finally:
        if not hasattr(filename, "read"):
            file.close()
        if swapped:
            if old_main is None:
                sys.modules.pop(main_name, None)
            else:
                sys.modules[main_name] = old_main
    main.__session__ = str(filename)
    return main.__dict__
