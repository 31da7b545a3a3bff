"""dill's API on anethum: ``import anethum.dill as dill``.

Code written against dill's public API (``dumps``, ``loads``, ``copy``,
``Pickler``, ``register``, ``settings``, ``dump_module``...) runs on
anethum's Rust pickler by changing its import. The pickles load with plain
``pickle.loads`` wherever ``anethum`` is importable.

The functions and classes behave as dill 0.4.1's do, except that:

* ``Pickler.dispatch`` starts empty: what dill saves with its own save
  functions anethum saves natively. Save functions registered with
  ``register``/``pickle`` (``f(pickler, obj)``) are called by the Rust
  pickler for their types.
* ``byref``, ``recurse`` and ``fmode`` are accepted and kept on the pickler
  (``pickler._byref``...) but don't change what anethum writes yet.
* ``extend()`` leaves the standard library's ``pickle`` alone.
* A class that anethum pickles by value comes back from ``anethum.dill``'s
  ``loads``/``load``/``copy`` as a new class, as with dill, unless
  ``settings['track_classes']`` is True (then the live original is given
  back, as ``anethum.loads`` and cloudpickle do).

``anethum.dill.dill`` and ``anethum.dill._dill`` are ``anethum._dill``,
which holds dill's internals that libraries reach for
(``dill._dill.logger.trace``, ``dill.dill.is_dill``,
``dill._dill.StockPickler``, ``dill._dill.save_module_dict``...).
"""

import importlib as _importlib

from . import _dill
from . import _dill as dill
from . import _dill_logger as logger
from ._dill import (
    CONTENTS_FMODE,
    DEFAULT_PROTOCOL,
    FILE_FMODE,
    HANDLE_FMODE,
    HIGHEST_PROTOCOL,
    PickleError,
    PickleWarning,
    Pickler,
    PicklingError,
    PicklingWarning,
    Unpickler,
    UnpicklingError,
    UnpicklingWarning,
    check,
    copy,
    dump,
    dumps,
    is_dill,
    load,
    loads,
    pickle,
    pickles,
    register,
)
from ._settings import settings

#: The dill version whose API this module follows.
__version__ = "0.4.1"

__all__ = [
    "CONTENTS_FMODE", "DEFAULT_PROTOCOL", "FILE_FMODE", "HANDLE_FMODE",
    "HIGHEST_PROTOCOL", "PickleError", "PickleWarning", "Pickler",
    "PicklingError", "PicklingWarning", "Unpickler", "UnpicklingError",
    "UnpicklingWarning", "check", "copy", "dump", "dump_module",
    "dump_session", "dumps", "extend", "load", "load_module",
    "load_module_asdict", "load_session", "load_types", "loads", "objects",
    "pickle", "pickles", "register", "settings",
]

# Names other modules of anethum provide, looked up when first used so that
# this module imports without them.
_SESSION_NAMES = ("dump_module", "load_module", "load_module_asdict",
                  "dump_session", "load_session")
_SUBMODULES = {"detect": "anethum.detect", "source": "anethum.source",
               "session": "anethum._session"}


def __getattr__(name):
    """``dump_module``, ``load_module``, ``load_module_asdict``,
    ``dump_session``, ``load_session`` (from ``anethum._session``) and the
    modules ``detect``, ``source``, ``session``, imported on first use."""
    if name in _SESSION_NAMES:
        try:
            session = _importlib.import_module("anethum._session")
        except ImportError as exc:
            raise AttributeError(
                "anethum.dill.%s is not available: anethum._session can't be "
                "imported (%s)" % (name, exc)) from None
        value = getattr(session, name)
    elif name in _SUBMODULES:
        try:
            value = _importlib.import_module(_SUBMODULES[name])
        except ImportError as exc:
            raise AttributeError(
                "anethum.dill.%s is not available: %s can't be imported (%s)"
                % (name, _SUBMODULES[name], exc)) from None
    else:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_SESSION_NAMES) | set(_SUBMODULES))


def extend(use_dill=True):
    """Add (or, with *use_dill=False*, remove) dill's types to/from the
    standard library pickler's registry.

    dill puts its save functions into ``pickle._Pickler.dispatch``, so that
    ``pickle._Pickler`` pickles what dill does. anethum's own pickler needs
    no such step, and ``anethum.dill`` leaves ``pickle`` unchanged: this
    only records the choice (``extend(False)`` is as safe as ``extend()``).
    """
    if use_dill:
        _dill._extend()
    else:
        _dill._revert_extension()
    return


#: Filled by :func:`load_types` (name -> example object), as ``dill.objects``.
objects = {}


def load_types(pickleable=True, unpickleable=True):
    """Load dill's example objects into :data:`objects` (as
    ``dill.load_types``).

    The table is dill's own (``dill._objects``), so this needs dill's
    ``_objects`` module to be importable.

    Args:
        pickleable (bool, default=True): if True, load pickleable types.
        unpickleable (bool, default=True): if True, load unpickleable types.
    """
    try:
        _objects = _importlib.import_module("dill._objects")
    except ImportError as exc:
        raise ImportError("anethum.dill.load_types needs dill's table of "
                          "example objects (dill._objects): %s" % (exc,)) from None
    if pickleable:
        objects.update(_objects.succeeds)
    else:
        [objects.pop(obj, None) for obj in _objects.succeeds]
    if unpickleable:
        objects.update(_objects.failures)
    else:
        [objects.pop(obj, None) for obj in _objects.failures]
    objects.update(_objects.registered)
