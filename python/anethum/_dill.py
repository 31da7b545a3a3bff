"""Internals of ``anethum.dill``: what ``dill._dill`` (and the old
``dill.dill``) hold that code using dill reaches for.

``anethum.dill._dill`` and ``anethum.dill.dill`` are this module. Besides
the public API (``anethum.dill`` re-exports it) it has:

* ``StockPickler`` (the pickler without dill's dispatch; here anethum's Rust
  pickler plus forwarding methods), ``StockUnpickler`` (``pickle.Unpickler``),
  ``MetaCatchingDict``, ``is_dill``, ``logger``/``log`` (an adapter with
  ``trace(pickler, msg, *args)``);
* dill-style save functions ``f(pickler, obj)`` under dill's names
  (``save_module_dict``, ``save_function``, ``save_type``, ``save_module``,
  ``save_code``...). They save ``obj`` the way anethum does by itself,
  so code that wraps them (Apache Beam's ``save_module_dict``) keeps working;
* dill's load-time helpers (``_create_function``, ``_create_code``,
  ``_create_cell``, ``_import_module``, ``_load_type``, ...), which
  dill-style save functions pass to ``pickler.save_reduce``. Pickles refer
  to them as ``anethum._dill.<name>``, so their names and signatures are
  part of the file format, as ``anethum.loaders``' are.

Most of dill's helpers below are adapted from dill 0.4.1's ``dill/_dill.py``
(3-clause BSD; Copyright (c) 2008-2016 California Institute of Technology,
2016-2026 The Uncertainty Quantification Foundation; based on code by Oren
Tirosh and Armin Ronacher; ``_create_code`` after cloudpickle).
"""

import builtins as __builtin__
import dataclasses
import gc
import logging
import marshal
import os
import sys
import threading
import typing
import warnings
from collections import OrderedDict
from functools import partial
from io import BytesIO as StringIO
from operator import attrgetter, itemgetter
from pickle import (
    DEFAULT_PROTOCOL,
    GLOBAL,
    HIGHEST_PROTOCOL,
    POP,
    PickleError,
    PicklingError,
    UnpicklingError,
)
from pickle import Unpickler as StockUnpickler
from types import (
    BuiltinMethodType,
    CodeType,
    FrameType,
    FunctionType,
    GeneratorType,
    MappingProxyType as DictProxyType,
    MethodType,
    ModuleType,
    TracebackType,
)

import __main__ as _main_module

from . import _anethum
from . import loaders as _loaders
from ._dill_logger import adapter as logger
from ._dill_logger import trace as _trace
from ._settings import settings

__all__ = [
    'dump', 'dumps', 'load', 'loads', 'copy',
    'Pickler', 'Unpickler', 'register', 'pickle', 'pickles', 'check',
    'DEFAULT_PROTOCOL', 'HIGHEST_PROTOCOL', 'HANDLE_FMODE', 'CONTENTS_FMODE', 'FILE_FMODE',
    'PickleError', 'PickleWarning', 'PicklingError', 'PicklingWarning', 'UnpicklingError',
    'UnpicklingWarning',
]

log = logger  # dill's backward-compatible name

OLD38 = sys.hexversion < 0x3080000
OLD39 = sys.hexversion < 0x3090000
OLD310 = sys.hexversion < 0x30a0000
OLD312a7 = sys.hexversion < 0x30c00a7
IS_PYPY = sys.implementation.name == "pypy"
IS_PYODIDE = sys.platform == 'emscripten'
GENERATOR_FAIL = False
try:
    import ctypes
    HAS_CTYPES = True
except ImportError:  # pragma: no cover
    HAS_CTYPES = False

import importlib.machinery
EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)

# numpy's types, imported only when a pickle needs them (_create_dtypemeta).
NumpyUfuncType = NumpyDType = NumpyArrayType = None
try:
    if importlib.machinery.PathFinder().find_spec('numpy'):
        NumpyUfuncType = NumpyDType = NumpyArrayType = True
except Exception:  # pragma: no cover
    pass


def __hook__():
    global NumpyArrayType, NumpyDType, NumpyUfuncType
    from numpy import ufunc as NumpyUfuncType
    from numpy import ndarray as NumpyArrayType
    from numpy import dtype as NumpyDType
    return True


from _thread import LockType
from _thread import RLock as RLockType
from weakref import CallableProxyType, ProxyType, ReferenceType
BufferType = memoryview
ClassType = type
EllipsisType = type(Ellipsis)
NotImplementedType = type(NotImplemented)
SliceType = slice
TypeType = type
XRangeType = range
CellType = type((lambda x: lambda y: x)(0).__closure__[0])
PartialType = type(partial(int, base=2))
SuperType = type(super(Exception, TypeError()))
ItemGetterType = type(itemgetter(0))
AttrGetterType = type(attrgetter('__repr__'))
try:
    from _thread import _ThreadHandle as ThreadHandleType
except ImportError:
    ThreadHandleType = None

### File modes
#: Pickles the file handle, preserving mode. The position of the unpickled
#: object is as for a new file handle.
HANDLE_FMODE = 0
#: Pickles the file contents, creating a new file if on load the file does
#: not exist. The position = min(pickled position, EOF) and mode is chosen
#: as such that "best" preserves behavior of the original file.
CONTENTS_FMODE = 1
#: Pickles the entire file (handle and contents), preserving mode and position.
FILE_FMODE = 2


def get_file_type(*args, **kwargs):
    """The type of the file object ``open(os.devnull, *args, **kwargs)``
    returns (``open=`` picks another ``open``, such as ``_pyio.open``)."""
    open = kwargs.pop("open", __builtin__.open)
    f = open(os.devnull, *args, **kwargs)
    t = type(f)
    f.close()
    return t


FileType = get_file_type('rb', buffering=0)
TextWrapperType = get_file_type('r', buffering=-1)
BufferedRandomType = None if IS_PYODIDE else get_file_type('r+b', buffering=-1)
BufferedReaderType = get_file_type('rb', buffering=-1)
BufferedWriterType = get_file_type('wb', buffering=-1)
try:
    from _pyio import open as _open
    PyTextWrapperType = get_file_type('r', buffering=-1, open=_open)
    PyBufferedRandomType = None if IS_PYODIDE else get_file_type('r+b', buffering=-1, open=_open)
    PyBufferedReaderType = get_file_type('rb', buffering=-1, open=_open)
    PyBufferedWriterType = get_file_type('wb', buffering=-1, open=_open)
except ImportError:  # pragma: no cover
    PyTextWrapperType = PyBufferedRandomType = PyBufferedReaderType = PyBufferedWriterType = None
InputType = OutputType = None
try:
    ExitType = type(exit)
except NameError:  # pragma: no cover
    ExitType = None


class Sentinel(object):
    """A unique object that is pickled as a constant (by name)."""

    def __init__(self, name, module_name=None):
        self.name = name
        self.__module__ = __name__ if module_name is None else module_name

    def __repr__(self):
        return self.__module__ + '.' + self.name

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return self.name

    def __reduce_ex__(self, protocol):
        return self.name


class _NoDefault:
    def __repr__(self):
        return "NO_DEFAULT"


_NO_DEFAULT = _NoDefault()


def _reduction_object(reduction):
    # dill's _shims.Reduce: a stand-in object for a reduction.
    return _ReduceStandIn(reduction)


class _ReduceStandIn(object):
    __slots__ = ("reduction",)

    def __init__(self, reduction):
        self.reduction = tuple(reduction)

    def __reduce__(self):
        return self.reduction

def _create_typemap():
    import types
    d = dict(list(__builtin__.__dict__.items()) + \
             list(types.__dict__.items())).items()
    for key, value in d:
        if getattr(value, '__module__', None) == 'builtins' \
                and type(value) is type:
            yield key, value
    return
_reverse_typemap = dict(_create_typemap())
_reverse_typemap.update({
    'PartialType': PartialType,
    'SuperType': SuperType,
    'ItemGetterType': ItemGetterType,
    'AttrGetterType': AttrGetterType,
})
if sys.hexversion < 0x30800a2:
    _reverse_typemap.update({
        'CellType': CellType,
    })

# "Incidental" implementation specific types. Unpickling these types in another
# implementation of Python (PyPy -> CPython) is not guaranteed to work

# This dictionary should contain all types that appear in Python implementations
# but are not defined in https://docs.python.org/3/library/types.html#standard-interpreter-types
x=OrderedDict()
_incedental_reverse_typemap = {
    'FileType': FileType,
    'BufferedRandomType': BufferedRandomType,
    'BufferedReaderType': BufferedReaderType,
    'BufferedWriterType': BufferedWriterType,
    'TextWrapperType': TextWrapperType,
    'PyBufferedRandomType': PyBufferedRandomType,
    'PyBufferedReaderType': PyBufferedReaderType,
    'PyBufferedWriterType': PyBufferedWriterType,
    'PyTextWrapperType': PyTextWrapperType,
}

_incedental_reverse_typemap.update({
    "DictKeysType": type({}.keys()),
    "DictValuesType": type({}.values()),
    "DictItemsType": type({}.items()),

    "OdictKeysType": type(x.keys()),
    "OdictValuesType": type(x.values()),
    "OdictItemsType": type(x.items()),
})

if ExitType:
    _incedental_reverse_typemap['ExitType'] = ExitType
if InputType:
    _incedental_reverse_typemap['InputType'] = InputType
    _incedental_reverse_typemap['OutputType'] = OutputType

'''
try:
    import symtable
    _incedental_reverse_typemap["SymtableEntryType"] = type(symtable.symtable("", "string", "exec")._table)
except: #FIXME: fails to pickle
    pass

if sys.hexversion >= 0x30a00a0:
    _incedental_reverse_typemap['LineIteratorType'] = type(compile('3', '', 'eval').co_lines())
'''

if sys.hexversion >= 0x30b00b0 and not IS_PYPY:
    from types import GenericAlias
    _incedental_reverse_typemap["GenericAliasIteratorType"] = type(iter(GenericAlias(list, (int,))))
    '''
    _incedental_reverse_typemap['PositionsIteratorType'] = type(compile('3', '', 'eval').co_positions())
    '''

try:
    import winreg
    _incedental_reverse_typemap["HKEYType"] = winreg.HKEYType
except ImportError:
    pass

_reverse_typemap.update(_incedental_reverse_typemap)
_incedental_types = set(_incedental_reverse_typemap.values())

del x

_typemap = dict((v, k) for k, v in _reverse_typemap.items())

def _unmarshal(string):
    return marshal.loads(string)

def _load_type(name):
    return _reverse_typemap[name]

def _create_type(typeobj, *args):
    return typeobj(*args)

def _create_function(fcode, fglobals, fname=None, fdefaults=None,
                     fclosure=None, fdict=None, fkwdefaults=None):
    # same as FunctionType, but enable passing __dict__ to new function,
    # __dict__ is the storehouse for attributes added after function creation
    func = FunctionType(fcode, fglobals or dict(), fname, fdefaults, fclosure)
    if fdict is not None:
        func.__dict__.update(fdict) #XXX: better copy? option to copy?
    if fkwdefaults is not None:
        func.__kwdefaults__ = fkwdefaults
    # 'recurse' only stores referenced modules/objects in fglobals,
    # thus we need to make sure that we have __builtins__ as well
    if "__builtins__" not in func.__globals__:
        func.__globals__["__builtins__"] = globals()["__builtins__"]
    # assert id(fglobals) == id(func.__globals__)
    return func

class match:
    """
    Make avaialable a limited structural pattern matching-like syntax for Python < 3.10

    Patterns can be only tuples (without types) currently.
    Inspired by the package pattern-matching-PEP634.

    Usage:
    >>> with match(args) as m:
    >>>     if   m.case(('x', 'y')):
    >>>         # use m.x and m.y
    >>>     elif m.case(('x', 'y', 'z')):
    >>>         # use m.x, m.y and m.z

    Equivalent native code for Python >= 3.10:
    >>> match args:
    >>>     case (x, y):
    >>>         # use x and y
    >>>     case (x, y, z):
    >>>         # use x, y and z
    """
    def __init__(self, value):
        self.value = value
        self._fields = None
    def __enter__(self):
        return self
    def __exit__(self, *exc_info):
        return False
    def case(self, args): # *args, **kwargs):
        """just handles tuple patterns"""
        if len(self.value) != len(args): # + len(kwargs):
            return False
        #if not all(isinstance(arg, pat) for arg, pat in zip(self.value[len(args):], kwargs.values())):
        #    return False
        self.args = args # (*args, *kwargs)
        return True
    @property
    def fields(self):
        # Only bind names to values if necessary.
        if self._fields is None:
            self._fields = dict(zip(self.args, self.value))
        return self._fields
    def __getattr__(self, item):
        return self.fields[item]

ALL_CODE_PARAMS = [
    # Version     New attribute         CodeType parameters
    ((3,11,'a'), 'co_endlinetable',    'argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name qualname firstlineno linetable endlinetable columntable exceptiontable freevars cellvars'),
    ((3,11),     'co_exceptiontable',  'argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name qualname firstlineno linetable                          exceptiontable freevars cellvars'),
    ((3,11,'p'), 'co_qualname',        'argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name qualname firstlineno linetable                                         freevars cellvars'),
    ((3,10),     'co_linetable',       'argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name          firstlineno linetable                                         freevars cellvars'),
    ((3,8),      'co_posonlyargcount', 'argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name          firstlineno lnotab                                            freevars cellvars'),
    ((3,7),      'co_kwonlyargcount',  'argcount                 kwonlyargcount nlocals stacksize flags code consts names varnames filename name          firstlineno lnotab                                            freevars cellvars'),
    ]
for version, new_attr, params in ALL_CODE_PARAMS:
    if hasattr(CodeType, new_attr):
        CODE_VERSION = version
        CODE_PARAMS = params.split()
        break
ENCODE_PARAMS = set(CODE_PARAMS).intersection(
        ['code', 'lnotab', 'linetable', 'endlinetable', 'columntable', 'exceptiontable'])

def _create_code(*args):
    if not isinstance(args[0], int): # co_lnotab stored from >= 3.10
        LNOTAB, *args = args
    else: # from < 3.10 (or pre-LNOTAB storage)
        LNOTAB = b''

    with match(args) as m:
        # Python 3.11/3.12a (18 members)
        if m.case((
            'argcount', 'posonlyargcount', 'kwonlyargcount', 'nlocals', 'stacksize', 'flags',     # args[0:6]
            'code', 'consts', 'names', 'varnames', 'filename', 'name', 'qualname', 'firstlineno', # args[6:14]
            'linetable', 'exceptiontable', 'freevars', 'cellvars'                                 # args[14:]
        )):
            if CODE_VERSION == (3,11):
                return CodeType(
                    *args[:6],
                    args[6].encode() if hasattr(args[6], 'encode') else args[6], # code
                    *args[7:14],
                    args[14].encode() if hasattr(args[14], 'encode') else args[14], # linetable
                    args[15].encode() if hasattr(args[15], 'encode') else args[15], # exceptiontable
                    args[16],
                    args[17],
                )
            fields = m.fields
        # PyPy 3.11 7.3.19+ (17 members)
        elif m.case((
            'argcount', 'posonlyargcount', 'kwonlyargcount', 'nlocals', 'stacksize', 'flags', # args[0:6]
            'code', 'consts', 'names', 'varnames', 'filename', 'name', 'qualname',            # args[6:13]
            'firstlineno', 'linetable', 'freevars', 'cellvars'                                # args[13:]
        )):
            if CODE_VERSION == (3,11,'p'):
                return CodeType(
                    *args[:6],
                    args[6].encode() if hasattr(args[6], 'encode') else args[6], # code
                    *args[7:14],
                    args[14].encode() if hasattr(args[14], 'encode') else args[14], # linetable
                    args[15],
                    args[16],
                )
            fields = m.fields
        # Python 3.10 or 3.8/3.9 (16 members)
        elif m.case((
            'argcount', 'posonlyargcount', 'kwonlyargcount', 'nlocals', 'stacksize', 'flags', # args[0:6]
            'code', 'consts', 'names', 'varnames', 'filename', 'name', 'firstlineno',         # args[6:13]
            'LNOTAB_OR_LINETABLE', 'freevars', 'cellvars'                                     # args[13:]
        )):
            if CODE_VERSION == (3,10) or CODE_VERSION == (3,8):
                return CodeType(
                    *args[:6],
                    args[6].encode() if hasattr(args[6], 'encode') else args[6], # code
                    *args[7:13],
                    args[13].encode() if hasattr(args[13], 'encode') else args[13], # lnotab/linetable
                    args[14],
                    args[15],
                )
            fields = m.fields
            if CODE_VERSION >= (3,10):
                fields['linetable'] = m.LNOTAB_OR_LINETABLE
            else:
                fields['lnotab'] = LNOTAB if LNOTAB else m.LNOTAB_OR_LINETABLE
        # Python 3.7 (15 args)
        elif m.case((
            'argcount', 'kwonlyargcount', 'nlocals', 'stacksize', 'flags',            # args[0:5]
            'code', 'consts', 'names', 'varnames', 'filename', 'name', 'firstlineno', # args[5:12]
            'lnotab', 'freevars', 'cellvars'                                          # args[12:]
        )):
            if CODE_VERSION == (3,7):
                return CodeType(
                    *args[:5],
                    args[5].encode() if hasattr(args[5], 'encode') else args[5], # code
                    *args[6:12],
                    args[12].encode() if hasattr(args[12], 'encode') else args[12], # lnotab
                    args[13],
                    args[14],
                )
            fields = m.fields
        # Python 3.11a (20 members)
        elif m.case((
            'argcount', 'posonlyargcount', 'kwonlyargcount', 'nlocals', 'stacksize', 'flags',     # args[0:6]
            'code', 'consts', 'names', 'varnames', 'filename', 'name', 'qualname', 'firstlineno', # args[6:14]
            'linetable', 'endlinetable', 'columntable', 'exceptiontable', 'freevars', 'cellvars'  # args[14:]
        )):
            if CODE_VERSION == (3,11,'a'):
                return CodeType(
                    *args[:6],
                    args[6].encode() if hasattr(args[6], 'encode') else args[6], # code
                    *args[7:14],
                    *(a.encode() if hasattr(a, 'encode') else a for a in args[14:18]), # linetable-exceptiontable
                    args[18],
                    args[19],
                )
            fields = m.fields
        else:
            raise UnpicklingError("pattern match for code object failed")

    # The args format doesn't match this version.
    fields.setdefault('posonlyargcount', 0)         # from python <= 3.7
    fields.setdefault('lnotab', LNOTAB)             # from python >= 3.10
    fields.setdefault('linetable', b'')             # from python <= 3.9
    fields.setdefault('qualname', fields['name'])   # from python <= 3.10
    fields.setdefault('exceptiontable', b'')        # from python <= 3.10
    fields.setdefault('endlinetable', None)         # from python != 3.11a
    fields.setdefault('columntable', None)          # from python != 3.11a

    args = (fields[k].encode() if k in ENCODE_PARAMS and hasattr(fields[k], 'encode') else fields[k]
            for k in CODE_PARAMS)
    return CodeType(*args)

def _create_ftype(ftypeobj, func, args, kwds):
    if kwds is None:
        kwds = {}
    if args is None:
        args = ()
    return ftypeobj(func, *args, **kwds)

def _create_typing_tuple(argz, *args): #NOTE: workaround python/cpython#94245
    if not argz:
        return typing.Tuple[()].copy_with(())
    if argz == ((),):
        return typing.Tuple[()]
    return typing.Tuple[argz]

if ThreadHandleType:
    def _create_thread_handle(ident, done, *args): #XXX: ignores 'blocking'
        from threading import _make_thread_handle
        handle = _make_thread_handle(ident)
        if done:
            handle._set_done()
        return handle

def _create_lock(locked, *args): #XXX: ignores 'blocking'
    from threading import Lock
    lock = Lock()
    if locked:
        if not lock.acquire(False):
            raise UnpicklingError("Cannot acquire lock")
    return lock

def _create_rlock(count, owner, *args): #XXX: ignores 'blocking'
    lock = RLockType()
    if owner is not None:
        lock._acquire_restore((count, owner))
    if owner and not lock._is_owned():
        raise UnpicklingError("Cannot acquire lock")
    return lock

# thanks to matsjoyce for adding all the different file modes
def _create_filehandle(name, mode, position, closed, open, strictio, fmode, fdata): # buffering=0
    # only pickles the handle, not the file contents... good? or StringIO(data)?
    # (for file contents see: http://effbot.org/librarybook/copy-reg.htm)
    # NOTE: handle special cases first (are there more special cases?)
    names = {'<stdin>':sys.__stdin__, '<stdout>':sys.__stdout__,
             '<stderr>':sys.__stderr__} #XXX: better fileno=(0,1,2) ?
    if name in list(names.keys()):
        f = names[name] #XXX: safer "f=sys.stdin"
    elif name == '<tmpfile>':
        f = os.tmpfile()
    elif name == '<fdopen>':
        import tempfile
        f = tempfile.TemporaryFile(mode)
    else:
        try:
            exists = os.path.exists(name)
        except Exception:
            exists = False
        if not exists:
            if strictio:
                raise FileNotFoundError("[Errno 2] No such file or directory: '%s'" % name)
            elif "r" in mode and fmode != FILE_FMODE:
                name = '<fdopen>' # or os.devnull?
            current_size = 0 # or maintain position?
        else:
            current_size = os.path.getsize(name)

        if position > current_size:
            if strictio:
                raise ValueError("invalid buffer size")
            elif fmode == CONTENTS_FMODE:
                position = current_size
        # try to open the file by name
        # NOTE: has different fileno
        try:
            #FIXME: missing: *buffering*, encoding, softspace
            if fmode == FILE_FMODE:
                f = open(name, mode if "w" in mode else "w")
                f.write(fdata)
                if "w" not in mode:
                    f.close()
                    f = open(name, mode)
            elif name == '<fdopen>': # file did not exist
                import tempfile
                f = tempfile.TemporaryFile(mode)
            # treat x mode as w mode
            elif fmode == CONTENTS_FMODE \
               and ("w" in mode or "x" in mode):
                # stop truncation when opening
                flags = os.O_CREAT
                if "+" in mode:
                    flags |= os.O_RDWR
                else:
                    flags |= os.O_WRONLY
                f = os.fdopen(os.open(name, flags), mode)
                # set name to the correct value
                r = getattr(f, "buffer", f)
                r = getattr(r, "raw", r)
                r.name = name
                assert f.name == name
            else:
                f = open(name, mode)
        except (IOError, FileNotFoundError):
            err = sys.exc_info()[1]
            raise UnpicklingError(err)
    if closed:
        f.close()
    elif position >= 0 and fmode != HANDLE_FMODE:
        f.seek(position)
    return f

def _create_stringi(value, position, closed):
    f = StringIO(value)
    if closed: f.close()
    else: f.seek(position)
    return f

def _create_stringo(value, position, closed):
    f = StringIO()
    if closed: f.close()
    else:
       f.write(value)
       f.seek(position)
    return f

class _itemgetter_helper(object):
    def __init__(self):
        self.items = []
    def __getitem__(self, item):
        self.items.append(item)
        return

class _attrgetter_helper(object):
    def __init__(self, attrs, index=None):
        self.attrs = attrs
        self.index = index
    def __getattribute__(self, attr):
        attrs = object.__getattribute__(self, "attrs")
        index = object.__getattribute__(self, "index")
        if index is None:
            index = len(attrs)
            attrs.append(attr)
        else:
            attrs[index] = ".".join([attrs[index], attr])
        return type(self)(attrs, index)

class _dictproxy_helper(dict):
   def __ror__(self, a):
        return a

_dictproxy_helper_instance = _dictproxy_helper()

__d = {}
try:
    # In CPython 3.9 and later, this trick can be used to exploit the
    # implementation of the __or__ function of MappingProxyType to get the true
    # mapping referenced by the proxy. It may work for other implementations,
    # but is not guaranteed.
    MAPPING_PROXY_TRICK = __d is (DictProxyType(__d) | _dictproxy_helper_instance)
except Exception:
    MAPPING_PROXY_TRICK = False
del __d

# _CELL_REF and _CELL_EMPTY are used to stay compatible with versions of dill
# whose _create_cell functions do not have a default value.
# _CELL_REF can be safely removed entirely (replaced by empty tuples for calls
# to _create_cell) once breaking changes are allowed.
_CELL_REF = None
_CELL_EMPTY = Sentinel('_CELL_EMPTY')

def _create_cell(contents=None):
    if contents is not _CELL_EMPTY:
        value = contents
    return (lambda: value).__closure__[0]

def _create_weakref(obj, *args):
    from weakref import ref
    if obj is None: # it's dead
        from collections import UserDict
        return ref(UserDict(), *args)
    return ref(obj, *args)

def _create_weakproxy(obj, callable=False, *args):
    from weakref import proxy
    if obj is None: # it's dead
        if callable: return proxy(lambda x:x, *args)
        from collections import UserDict
        return proxy(UserDict(), *args)
    return proxy(obj, *args)

def _eval_repr(repr_str):
    return eval(repr_str)

def _create_array(f, args, state, npdict=None):
   #array = numpy.core.multiarray._reconstruct(*args)
    array = f(*args)
    array.__setstate__(state)
    if npdict is not None: # we also have saved state in __dict__
        array.__dict__.update(npdict)
    return array

def _create_dtypemeta(scalar_type):
    if NumpyDType is True: __hook__() # a bit hacky I think
    if scalar_type is None:
        return NumpyDType
    return type(NumpyDType(scalar_type))

def _create_namedtuple(name, fieldnames, modulename, defaults=None):
    class_ = _import_module(modulename + '.' + name, safe=True)
    if class_ is not None:
        return class_
    import collections
    t = collections.namedtuple(name, fieldnames, defaults=defaults, module=modulename)
    return t

def _create_capsule(pointer, name, context, destructor):
    attr_found = False
    try:
        # based on https://github.com/python/cpython/blob/f4095e53ab708d95e019c909d5928502775ba68f/Objects/capsule.c#L209-L231
        uname = name.decode('utf8')
        for i in range(1, uname.count('.')+1):
            names = uname.rsplit('.', i)
            try:
                module = __import__(names[0])
            except ImportError:
                pass
            obj = module
            for attr in names[1:]:
                obj = getattr(obj, attr)
            capsule = obj
            attr_found = True
            break
    except Exception:
        pass

    if attr_found:
        if _PyCapsule_IsValid(capsule, name):
            return capsule
        raise UnpicklingError("%s object exists at %s but a PyCapsule object was expected." % (type(capsule), name))
    else:
        #warnings.warn('Creating a new PyCapsule %s for a C data structure that may not be present in memory. Segmentation faults or other memory errors are possible.' % (name,), UnpicklingWarning)
        capsule = _PyCapsule_New(pointer, name, destructor)
        _PyCapsule_SetContext(capsule, context)
        return capsule

def _getattr(objclass, name, repr_str):
    # hack to grab the reference directly
    try: #XXX: works only for __builtin__ ?
        attr = repr_str.split("'")[3]
        return eval(attr+'.__dict__["'+name+'"]')
    except Exception:
        try:
            attr = objclass.__dict__
            if type(attr) is DictProxyType:
                if sys.hexversion > 0x30f00a0 and name in ('__weakref__','__dict__'):
                    attr = _dictproxy_helper.__dict__[name]
                else:
                    attr = attr[name]
            else:
                attr = getattr(objclass,name)
        except (AttributeError, KeyError):
            attr = getattr(objclass,name)
        return attr

def _get_attr(self, name):
    # stop recursive pickling
    return getattr(self, name, None) or getattr(__builtin__, name)

def _import_module(import_name, safe=False):
    try:
        if import_name.startswith('__runtime__.'):
            return sys.modules[import_name]
        elif '.' in import_name:
            items = import_name.split('.')
            module = '.'.join(items[:-1])
            obj = items[-1]
            submodule = getattr(__import__(module, None, None, [obj]), obj)
            if isinstance(submodule, (ModuleType, type)):
                return submodule
            return __import__(import_name, None, None, [obj])
        else:
            return __import__(import_name)
    except (ImportError, AttributeError, KeyError):
        if safe:
            return None
        raise

# https://github.com/python/cpython/blob/a8912a0f8d9eba6d502c37d522221f9933e976db/Lib/pickle.py#L322-L333
def _getattribute(obj, name):
    for subpath in name.split('.'):
        if subpath == '<locals>':
            raise AttributeError("Can't get local attribute {!r} on {!r}"
                                 .format(name, obj))
        try:
            parent = obj
            obj = getattr(obj, subpath)
        except AttributeError:
            raise AttributeError("Can't get attribute {!r} on {!r}"
                                 .format(name, obj))
    return obj, parent

def _locate_function(obj, pickler=None):
    module_name = getattr(obj, '__module__', None)
    if module_name in ['__main__', None] or \
            pickler and is_dill(pickler, child=False) and pickler._session and module_name == pickler._main.__name__:
        return False
    if hasattr(obj, '__qualname__'):
        module = _import_module(module_name, safe=True)
        try:
            found, _ = _getattribute(module, obj.__qualname__)
            return found is obj
        except AttributeError:
            return False
    else:
        found = _import_module(module_name + '.' + obj.__name__, safe=True)
        return found is obj


def _setitems(dest, source):
    for k, v in source.items():
        dest[k] = v


def _save_with_postproc(pickler, reduction, is_pickler_dill=None, obj=_NO_DEFAULT, postproc_list=None):
    if obj is _NO_DEFAULT:
        obj = _reduction_object(reduction) # pragma: no cover

    if is_pickler_dill is None:
        is_pickler_dill = is_dill(pickler, child=True)
    if is_pickler_dill:
        # assert id(obj) not in pickler._postproc, str(obj) + ' already pushed on stack!'
        # if not hasattr(pickler, 'x'): pickler.x = 0
        # print(pickler.x*' ', 'push', obj, id(obj), pickler._recurse)
        # pickler.x += 1
        if postproc_list is None:
            postproc_list = []

        # Recursive object not supported. Default to a global instead.
        if id(obj) in pickler._postproc:
            name = '%s.%s ' % (obj.__module__, getattr(obj, '__qualname__', obj.__name__)) if hasattr(obj, '__module__') else ''
            warnings.warn('Cannot pickle %r: %shas recursive self-references that trigger a RecursionError.' % (obj, name), PicklingWarning)
            pickler.save_global(obj)
            return
        pickler._postproc[id(obj)] = postproc_list

    # TODO: Use state_setter in Python 3.8 to allow for faster cPickle implementations
    pickler.save_reduce(*reduction, obj=obj)

    if is_pickler_dill:
        # pickler.x -= 1
        # print(pickler.x*' ', 'pop', obj, id(obj))
        postproc = pickler._postproc.pop(id(obj))
        # assert postproc_list == postproc, 'Stack tampered!'
        for reduction in reversed(postproc):
            if reduction[0] is _setitems:
                # use the internal machinery of pickle.py to speedup when
                # updating a dictionary in postproc
                dest, source = reduction[1]
                if source:
                    pickler.write(pickler.get(pickler.memo[id(dest)][0]))
                    if sys.hexversion < 0x30e00a1:
                        pickler._batch_setitems(iter(source.items()))
                    else:
                        pickler._batch_setitems(iter(source.items()), obj=obj)
                else:
                    # Updating with an empty dictionary. Same as doing nothing.
                    continue
            else:
                pickler.save_reduce(*reduction)
            # pop None created by calling preprocessing step off stack
            pickler.write(POP)


def _is_builtin_module(module):
    if not hasattr(module, "__file__"): return True
    if module.__file__ is None: return False
    # If a module file name starts with prefix, it should be a builtin
    # module, so should always be pickled as a reference.
    names = ["base_prefix", "base_exec_prefix", "exec_prefix", "prefix", "real_prefix"]
    rp = os.path.realpath
    return (
        any(
            module.__file__.startswith(getattr(sys, name))
            or rp(module.__file__).startswith(rp(getattr(sys, name)))
            for name in names
            if hasattr(sys, name)
        )
        or module.__file__.endswith(EXTENSION_SUFFIXES)
        or 'site-packages' in module.__file__
    )


def _is_imported_module(module):
    return getattr(module, '__loader__', None) is not None or module in sys.modules.values()


def _repr_dict(obj):
    """Make a short string representation of a dictionary."""
    return "<%s object at %#012x>" % (type(obj).__name__, id(obj))


if HAS_CTYPES and hasattr(ctypes, 'pythonapi'):
    _PyCapsule_New = ctypes.pythonapi.PyCapsule_New
    _PyCapsule_New.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    _PyCapsule_New.restype = ctypes.py_object
    _PyCapsule_GetPointer = ctypes.pythonapi.PyCapsule_GetPointer
    _PyCapsule_GetPointer.argtypes = (ctypes.py_object, ctypes.c_char_p)
    _PyCapsule_GetPointer.restype = ctypes.c_void_p
    _PyCapsule_GetDestructor = ctypes.pythonapi.PyCapsule_GetDestructor
    _PyCapsule_GetDestructor.argtypes = (ctypes.py_object,)
    _PyCapsule_GetDestructor.restype = ctypes.c_void_p
    _PyCapsule_GetContext = ctypes.pythonapi.PyCapsule_GetContext
    _PyCapsule_GetContext.argtypes = (ctypes.py_object,)
    _PyCapsule_GetContext.restype = ctypes.c_void_p
    _PyCapsule_GetName = ctypes.pythonapi.PyCapsule_GetName
    _PyCapsule_GetName.argtypes = (ctypes.py_object,)
    _PyCapsule_GetName.restype = ctypes.c_char_p
    _PyCapsule_IsValid = ctypes.pythonapi.PyCapsule_IsValid
    _PyCapsule_IsValid.argtypes = (ctypes.py_object, ctypes.c_char_p)
    _PyCapsule_IsValid.restype = ctypes.c_bool
    _PyCapsule_SetContext = ctypes.pythonapi.PyCapsule_SetContext
    _PyCapsule_SetContext.argtypes = (ctypes.py_object, ctypes.c_void_p)
    _PyCapsule_SetDestructor = ctypes.pythonapi.PyCapsule_SetDestructor
    _PyCapsule_SetDestructor.argtypes = (ctypes.py_object, ctypes.c_void_p)
    _PyCapsule_SetName = ctypes.pythonapi.PyCapsule_SetName
    _PyCapsule_SetName.argtypes = (ctypes.py_object, ctypes.c_char_p)
    _PyCapsule_SetPointer = ctypes.pythonapi.PyCapsule_SetPointer
    _PyCapsule_SetPointer.argtypes = (ctypes.py_object, ctypes.c_void_p)
    _testcapsule_name = b'anethum._dill._testcapsule'
    _testcapsule = _PyCapsule_New(
        ctypes.cast(_PyCapsule_New, ctypes.c_void_p),
        ctypes.c_char_p(_testcapsule_name),
        None
    )
    PyCapsuleType = type(_testcapsule)
else:  # pragma: no cover
    _testcapsule = None
    PyCapsuleType = None


# --------------------------------------------------------------------------
# Warnings.
# --------------------------------------------------------------------------

class PickleWarning(Warning, PickleError):
    """Base class of anethum.dill's pickling and unpickling warnings."""


class PicklingWarning(PickleWarning, PicklingError):
    """Warned when an object is pickled in a way that may not round-trip."""


class UnpicklingWarning(PickleWarning, UnpicklingError):
    """Warned when a pickle loads in a way that may not be what was saved."""


# --------------------------------------------------------------------------
# Picklers.
# --------------------------------------------------------------------------

# What this module expects of the Rust pickler (anethum._anethum.Pickler):
#
# * For a pickler whose class has ``_anethum_dill_dispatch = True``, look up
#   ``type(pickler).dispatch`` for ``type(obj)`` (exact type, dict lookup:
#   no ``__missing__``) where pickle._Pickler.save looks at ``self.dispatch``
#   (after persistent_id, the memo and reducer_override, before
#   copyreg.dispatch_table), and call ``f(pickler, obj)``. Entries with
#   ``_anethum_native = True`` (the save_* functions below, and save_type,
#   which MetaCatchingDict gives for metaclasses) mean "as anethum does":
#   skip the call.
# * The methods of PICKLER_METHODS, writing into the dump in progress, with
#   pickle._Pickler's signatures (save(obj, save_persistent_id=True),
#   save_reduce(func, args, state=None, listitems=None, dictitems=None,
#   state_setter=None, *, obj=None), save_global(obj, name=None), get(i) and
#   put(i) returning the opcode bytes, _batch_setitems(items[, obj]) ...), and
#   a new one, _save_native(obj): save obj the anethum way without looking
#   up ``dispatch`` for obj itself. Attributes: proto, memo (id -> (index,
#   obj), as _save_with_postproc reads), framer.current_frame (optional,
#   for trace sizes).
# * A Python subclass's overrides of save, memoize, save_global,
#   _batch_setitems... (datasets overrides save, memoize, _batch_setitems)
#   called for nested objects, as pickle._Pickler does.
# * The options kept on the instance: _byref, _recurse, _fmode, _strictio,
#   _ignore, _main, _session, _postproc, _file.

#: The methods dill-style save functions call on a pickler, which anethum's
#: Rust ``Pickler`` is to provide. Where it doesn't (yet), ``StockPickler``
#: has a stand-in that raises ``NotImplementedError`` naming the method.
PICKLER_METHODS = (
    "save", "save_reduce", "save_global", "save_pers", "memoize", "write",
    "get", "put", "save_dict", "save_list", "save_tuple", "save_set",
    "save_frozenset", "save_bytes", "save_str", "save_type",
    "_batch_setitems", "_batch_appends", "_save_native",
)


def _missing_method(name):
    def method(self, *args, **kwds):
        raise NotImplementedError(
            "%s.%s is not available: anethum's Rust Pickler doesn't provide "
            "%r yet (dill-style save functions need it)"
            % (type(self).__name__, name, name))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = ("Stand-in for anethum.Pickler.%s, which the Rust "
                      "extension doesn't provide yet: raises NotImplementedError." % name)
    method._anethum_missing = True
    return method


class StockPickler(_anethum.Pickler):
    """anethum's pickler without dill's ``dispatch`` (dill's ``StockPickler``
    is ``pickle._Pickler``).

    Its pickling methods (``save``, ``save_reduce``, ``save_global``,
    ``memoize``, ``write``, ``save_dict``...) are the Rust ones, so
    ``StockPickler.save_global(pickler, obj, name=...)`` and
    ``StockPickler.save_dict(pickler, obj)`` work on an
    ``anethum.dill.Pickler``; those the Rust side doesn't provide raise
    ``NotImplementedError``. ``dispatch`` is an empty dict (see
    ``anethum.dill.extend``).
    """
    dispatch = {}


StockPickler.__module__ = "anethum"  # is_dill(StockPickler(f), child=False) is False
for _name in PICKLER_METHODS:
    if getattr(_anethum.Pickler, _name, None) is None:
        setattr(StockPickler, _name, _missing_method(_name))
del _name


def _rust_method(name):
    """The Rust Pickler's method ``name``, or None if it has none yet."""
    return getattr(_anethum.Pickler, name, None)


class MetaCatchingDict(dict):
    """dill's dispatch dict: a missing metaclass key gives ``save_type``."""

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __missing__(self, key):
        if isinstance(key, type) and issubclass(key, type):
            return save_type
        raise KeyError(key)


class Pickler(StockPickler):
    """anethum's pickler with dill's interface.

    ``Pickler(file, protocol=None, *, byref=None, fmode=None, recurse=None,
    ignore=None, fix_imports=True, buffer_callback=None, by_value=True)``.
    ``byref``, ``fmode``, ``recurse`` default to ``settings`` and are kept as
    ``self._byref``, ``self._fmode``, ``self._recurse`` (``self._strictio``
    is False, ``self._ignore`` from ``ignore``), for dill-style save
    functions and for the Rust pickler to read. ``protocol`` None is
    ``pickle.DEFAULT_PROTOCOL``, as with dill's ``Pickler`` (``dump``/``dumps``
    default to ``settings['protocol']``).

    ``dispatch`` maps types to dill-style save functions ``f(pickler, obj)``
    (use ``register``/``pickle``); it starts empty, as everything dill saves
    with its own functions anethum saves natively. The class attribute
    ``_anethum_dill_dispatch = True`` tells the Rust pickler to call those
    functions (subclasses may replace ``dispatch`` with their own dict).
    """
    dispatch = MetaCatchingDict()
    _anethum_dill_dispatch = True
    _session = False
    settings = settings

    def __init__(self, file, *args, **kwds):
        settings = Pickler.settings
        _byref = kwds.pop('byref', None)
        _fmode = kwds.pop('fmode', None)
        _recurse = kwds.pop('recurse', None)
        _ignore = kwds.pop('ignore', None)
        kwds.pop('strictio', None)
        StockPickler.__init__(self, file, *args, **kwds)
        self._main = _main_module
        self._diff_cache = {}
        self._byref = settings['byref'] if _byref is None else _byref
        self._strictio = False
        self._fmode = settings['fmode'] if _fmode is None else _fmode
        self._recurse = settings['recurse'] if _recurse is None else _recurse
        self._ignore = settings['ignore'] if _ignore is None else _ignore
        self._postproc = OrderedDict()
        self._file = file

    def dump(self, obj):
        """Write the pickle of ``obj`` to the file."""
        logger.trace_setup(self)
        StockPickler.dump(self, obj)


# The fast path of dumps is for this class as defined here (not one a
# caller swapped in, nor one whose dump was replaced).
_PICKLER = Pickler
_PICKLER_DUMP = Pickler.dump


class Unpickler(StockUnpickler):
    """``pickle.Unpickler`` with dill's interface: ``Unpickler(file, *,
    ignore=None, **kwds)``.

    ``load`` then points an object whose class comes from ``__main__`` at the
    class of that name in ``__main__`` unless ``ignore`` (default
    ``settings['ignore']``); by-value classes come back as new classes unless
    ``settings['track_classes']`` is True. ``find_class`` maps
    ``('__builtin__', '__main__')`` to ``__main__.__dict__`` and reads
    ``dill.dill``/``dill._dill`` names from dill if it is installed, else
    from ``anethum._dill``.
    """
    settings = settings
    _session = False

    def find_class(self, module, name):
        """Find ``module.name`` as dill's Unpickler does."""
        if (module, name) == ('__builtin__', '__main__'):
            return self._main.__dict__
        elif (module, name) == ('__builtin__', 'NoneType'):
            return type(None)
        if module in ('dill.dill', 'dill._dill'):
            try:
                return StockUnpickler.find_class(self, 'dill._dill', name)
            except ImportError:
                if name in globals():
                    return globals()[name]
                raise
        return StockUnpickler.find_class(self, module, name)

    def __init__(self, *args, **kwds):
        settings = Pickler.settings
        _ignore = kwds.pop('ignore', None)
        StockUnpickler.__init__(self, *args, **kwds)
        self._main = _main_module
        self._ignore = settings['ignore'] if _ignore is None else _ignore

    def load(self):
        """Read a pickle from the file and return the object."""
        options = _loaders._LOAD_OPTIONS
        old = getattr(options, "track_classes", None)
        track = settings.get('track_classes')
        options.track_classes = False if track is None else bool(track)
        try:
            obj = StockUnpickler.load(self)
        finally:
            options.track_classes = old
        if type(obj).__module__ == getattr(self._main, '__name__', '__main__'):
            if not self._ignore:
                # point obj class to main
                try:
                    obj.__class__ = getattr(self._main, type(obj).__name__)
                except (AttributeError, TypeError):
                    pass  # defined in a file
        return obj


# --------------------------------------------------------------------------
# Shorthands.
# --------------------------------------------------------------------------

def copy(obj, *args, **kwds):
    """Use pickling to 'copy' an object (i.e. ``loads(dumps(obj))``).

    See :func:`dumps` and :func:`loads` for keyword arguments.
    """
    ignore = kwds.pop('ignore', Unpickler.settings['ignore'])
    return loads(dumps(obj, *args, **kwds), ignore=ignore)


def dump(obj, file, protocol=None, byref=None, fmode=None, recurse=None, **kwds):
    """Pickle an object to a file.

    See :func:`dumps` for keyword arguments.
    """
    protocol = settings['protocol'] if protocol is None else int(protocol)
    _kwds = kwds.copy()
    _kwds.update(dict(byref=byref, fmode=fmode, recurse=recurse))
    Pickler(file, protocol, **_kwds).dump(obj)
    return


def dumps(obj, protocol=None, byref=None, fmode=None, recurse=None, **kwds):
    """Pickle an object to a bytes string.

    *protocol* is the pickle protocol (default ``settings['protocol']``).
    *byref*, *recurse* and *fmode* (``HANDLE_FMODE``, ``CONTENTS_FMODE`` or
    ``FILE_FMODE``) are dill's options, defaulting to ``settings``; they are
    kept on the pickler (``_byref``, ``_recurse``, ``_fmode``) for dill-style
    save functions. Other keywords (``fix_imports``, ``buffer_callback``,
    ``by_value``, ``ignore``) go to :class:`Pickler`.
    """
    if _plain_dump(kwds):
        protocol = settings['protocol'] if protocol is None else int(protocol)
        fmode = settings['fmode'] if fmode is None else fmode
        byref = settings['byref'] if byref is None else byref
        recurse = settings['recurse'] if recurse is None else recurse
        return _anethum._dill_dumps(obj, protocol, fmode, bool(byref), bool(recurse), **kwds)
    file = StringIO()
    dump(obj, file, protocol, byref, fmode, recurse, **kwds)
    return file.getvalue()


def _plain_dump(kwds):
    """Whether a dump needs no Python ``Pickler``: no dispatch entry for
    Python to run, no trace, only keywords the Rust dumps takes."""
    if kwds and not kwds.keys() <= {"fix_imports", "buffer_callback"}:
        return False
    if logger.isEnabledFor(logging.INFO) or Pickler is not _PICKLER or Pickler.dump is not _PICKLER_DUMP:
        return False
    for func in Pickler.dispatch.values():
        if not getattr(func, "_anethum_native", False):
            return False
    return True


def load(file, ignore=None, **kwds):
    """Unpickle an object from a file.

    See :func:`loads` for keyword arguments.
    """
    return Unpickler(file, ignore=ignore, **kwds).load()


def loads(str, ignore=None, **kwds):
    """Unpickle an object from a bytes string.

    If *ignore=False* (default ``settings['ignore']``) then objects whose
    class is defined in the module ``__main__`` are updated to reference the
    existing class in ``__main__``, otherwise they are left to refer to the
    reconstructed type, which may be different. Other keywords go to
    ``pickle.Unpickler`` (``encoding``, ``errors``, ``buffers``...).
    """
    file = StringIO(str)
    return load(file, ignore, **kwds)


# --------------------------------------------------------------------------
# The dispatch table.
# --------------------------------------------------------------------------

def pickle(t, func):
    """Put the save function ``func(pickler, obj)`` for type ``t`` into
    :attr:`Pickler.dispatch`."""
    Pickler.dispatch[t] = func
    return


def register(t):
    """Decorator: ``@register(t)`` puts the decorated save function
    ``f(pickler, obj)`` into :attr:`Pickler.dispatch` for type ``t``."""
    def proxy(func):
        Pickler.dispatch[t] = func
        return func
    return proxy


_extended = [True]


def _extend():
    """dill puts its dispatch into ``pickle._Pickler.dispatch`` here; anethum
    leaves the standard library's pickler alone (see ``extend``)."""
    _extended[0] = True


def _revert_extension():
    """The counterpart of ``_extend``: records the state only."""
    _extended[0] = False


def is_dill(pickler, child=None):
    """Check the dill-ness of ``pickler``: an ``anethum.dill.Pickler`` (or,
    with *child=False*, a pickler whose class comes from a module with
    ``dill`` in its name)."""
    if child is False or not hasattr(pickler.__class__, 'mro'):
        return 'dill' in pickler.__module__
    return Pickler in pickler.__class__.mro()


# --------------------------------------------------------------------------
# Sanity checks.
# --------------------------------------------------------------------------

def pickles(obj, exact=False, safe=False, **kwds):
    """Quick check if object pickles with anethum.dill.

    If *exact=True* then an equality test is done to check if the reconstructed
    object matches the original object.

    If *safe=True* then any exception will raised in copy signal that the
    object is not picklable, otherwise only pickling errors will be trapped.

    Additional keyword arguments are as :func:`dumps` and :func:`loads`.
    """
    if safe:
        exceptions = (Exception,)
    else:
        exceptions = (TypeError, AssertionError, NotImplementedError, PicklingError, UnpicklingError)
    try:
        pik = copy(obj, **kwds)
        try:
            result = bool(pik.all() == obj.all())
        except (AttributeError, TypeError):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                result = pik == obj
        if hasattr(result, 'toarray'):  # for unusual types like sparse matrix
            result = result.toarray().all()
        if result:
            return True
        if not exact:
            result = type(pik) == type(obj)
            if result:
                return result
            # class instances might have been dumped with byref=False
            return repr(type(pik)) == repr(type(obj))
        return False
    except exceptions:
        return False


def check(obj, *args, **kwds):
    """Check pickling of an object across another process.

    *python* is the path to the python interpreter (defaults to sys.executable)

    Set *verbose=True* to print the unpickled object in the other process.

    Additional keyword arguments are as :func:`dumps` and :func:`loads`.
    The other process runs ``import anethum.dill as dill;
    print(dill.loads(<pickle>))``, with anethum's directory on its path.
    """
    verbose = kwds.pop('verbose', False)
    python = kwds.pop('python', None)
    if python is None:
        python = sys.executable
    import subprocess
    fail = True
    try:
        _obj = dumps(obj, *args, **kwds)
        fail = False
    finally:
        if fail and verbose:
            print("DUMP FAILED")
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env['PYTHONPATH'] = os.pathsep.join(
        [here] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    cmd = [python, "-c", "import anethum.dill as dill; print(dill.loads(%r))" % (_obj,)]
    msg = "SUCCESS" if not subprocess.call(cmd, env=env) else "LOAD FAILED"
    if verbose:
        print(msg)
    return


# --------------------------------------------------------------------------
# dill's save functions, under dill's names.
# --------------------------------------------------------------------------

def _save_natively(pickler, obj):
    # anethum's own way for obj, skipping ``dispatch`` for obj itself.
    pickler._save_native(obj)


def _native_save_function(name, doc):
    def save(pickler, obj, *args, **kwds):
        _save_natively(pickler, obj)
    save.__name__ = save.__qualname__ = name
    save.__doc__ = doc
    save._anethum_native = True
    return save


_NATIVE_SAVE_FUNCTIONS = {
    "save_code": "code objects",
    "save_classobj": "classes (dill: by value if not importable)",
    "save_generic_alias": "typing generic aliases",
    "save_lock": "threading locks",
    "save_rlock": "threading reentrant locks",
    "save_socket": "sockets",
    "save_file": "file objects",
    "save_stringi": "io.BytesIO/StringIO being read",
    "save_stringo": "io.BytesIO/StringIO being written",
    "save_lru_cache": "functools.lru_cache wrappers",
    "save_super": "super objects",
    "save_instancemethod0": "bound methods",
    "save_wrapper_descriptor": "slot wrappers and method descriptors",
    "save_cell": "cells",
    "save_dictproxy": "mappingproxy objects",
    "save_slice": "slices",
    "save_singleton": "Ellipsis, NotImplemented, range",
    "save_weakref": "weak references",
    "save_weakproxy": "weak proxies",
    "save_module": "modules",
    "save_type": "classes",
    "save_property": "properties",
    "save_classmethod": "staticmethod and classmethod objects",
    "save_function": "functions",
    "save_capsule": "PyCapsule objects",
    "save_context": "contextvars.Context objects",
}
for _name, _what in _NATIVE_SAVE_FUNCTIONS.items():
    globals()[_name] = _native_save_function(
        _name,
        "dill-style save function for %s: saves ``obj`` the way anethum "
        "does by itself (``pickler._save_native(obj)``), ignoring "
        "``dispatch`` for ``obj`` itself." % _what)
del _name, _what


def save_module_dict(pickler, obj):
    """dill's save function for dicts: ``__main__``'s dict as a reference
    to ``__main__`` (dill's ``__builtin__.__main__``), an importable module's
    dict as ``<module>.__dict__``, any other dict as a dict
    (``StockPickler.save_dict``)."""
    if is_dill(pickler, child=False) and obj == pickler._main.__dict__ and \
            not (pickler._session and getattr(pickler, '_first_pass', False)):
        logger.trace(pickler, "D1: %s", _repr_dict(obj))
        pickler.write(bytes('c__builtin__\n__main__\n', 'UTF-8'))
        logger.trace(pickler, "# D1")
    elif (not is_dill(pickler, child=False)) and (obj == _main_module.__dict__):
        logger.trace(pickler, "D3: %s", _repr_dict(obj))
        pickler.write(bytes('c__main__\n__dict__\n', 'UTF-8'))
        logger.trace(pickler, "# D3")
    elif '__name__' in obj and obj != _main_module.__dict__ \
            and type(obj['__name__']) is str \
            and obj is getattr(_import_module(obj['__name__'], True), '__dict__', None):
        logger.trace(pickler, "D4: %s", _repr_dict(obj))
        pickler.write(bytes('c%s\n__dict__\n' % obj['__name__'], 'UTF-8'))
        logger.trace(pickler, "# D4")
    else:
        logger.trace(pickler, "D2: %s", _repr_dict(obj))
        if is_dill(pickler, child=False) and pickler._session:
            pickler._first_pass = False
        StockPickler.save_dict(pickler, obj)
        logger.trace(pickler, "# D2")
    return

