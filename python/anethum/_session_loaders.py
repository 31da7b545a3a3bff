"""Load-time helpers for the pickles that ``anethum.dump_module`` writes.

THIS MODULE IS PART OF THE PICKLE FILE FORMAT.

A module saved with ``anethum.dump_module`` is pickled as::

    session_module(name, imported)          # the module to fill
    session_module_setstate(module, (namespace, submodules))

and the functions whose globals are that module's dict as
``make_function(code, module.__dict__, None, None, empty_cells)`` then
``function_setstate(func, state)``, so that after loading they share the
loaded module's namespace, as they did in the saved one.  Objects saved by
reference (``refimported=True``, ``refonfail=True``) are
``import_attribute(module_name, qualname)``.

These pickles load with the plain ``pickle.load`` wherever ``anethum`` is
importable; ``anethum.load_module`` only chooses the module they load into
(``_set_target``).  As for ``anethum.loaders``: a public function here may
never be renamed, removed or have its signature changed incompatibly, and
this module depends on the standard library only (it never imports the
compiled extension) so it stays importable on every supported CPython
(3.9 to 3.15).
"""

import builtins
import importlib
import sys
import threading
import types

__all__ = [
    "FORMAT_VERSION",
    "function_setstate",
    "import_attribute",
    "make_function",
    "session_module",
    "session_module_setstate",
]

#: Version of the session pickle format produced with these helpers.
FORMAT_VERSION = 1

_BUILTINS_DICT = builtins.__dict__

# The module that the next ``session_module`` call of this thread returns,
# set by ``anethum.load_module`` around its ``Unpickler.load()``.
_TARGET = threading.local()


def _set_target(module):
    """Make the next ``session_module`` call of this thread return
    ``module`` (None: choose by name, as a plain ``pickle.load`` does).
    Returns the previous setting."""
    previous = getattr(_TARGET, "module", None)
    _TARGET.module = module
    return previous


def session_module(name, imported):
    """Return the module a session pickle loads into.

    That is the module ``anethum.load_module`` was asked to fill, if it is
    the one loading; otherwise (a plain ``pickle.load``) the importable
    module ``name`` when the saved module was imported (``__main__``
    included: the running one), else a new ``types.ModuleType(name)``.
    """
    target = getattr(_TARGET, "module", None)
    if target is not None:
        _TARGET.module = None
        return target
    if imported:
        module = sys.modules.get(name)
        if module is None:
            module = importlib.import_module(name)
        return module
    return types.ModuleType(name)


def session_module_setstate(module, state):
    """Fill ``module`` with the saved namespace.

    ``state`` is ``(namespace, submodules)``: ``submodules`` are names of
    modules that were imported when the module was saved and that its
    functions reach as attributes of a package (``xml.dom.minidom``); they
    are imported first (a failure is ignored: the function using it fails
    when called, as it would have).  Then ``module.__dict__`` is updated
    with ``namespace``.
    """
    namespace, submodules = state
    for name in submodules or ():
        try:
            importlib.import_module(name)
        except Exception:
            pass
    module.__dict__.update(namespace)
    return module


def make_function(code, globals, name, argdefs, closure):
    """Create a function from ``code`` whose namespace is ``globals``.

    ``globals`` is the live dict of the module being loaded; it gets the
    builtins module's dict as ``__builtins__`` only if it has none (the
    running ``__main__`` keeps its own).  ``closure`` is None or a tuple of
    (empty) cells, filled by ``function_setstate``.
    """
    if "__builtins__" not in globals:
        globals["__builtins__"] = _BUILTINS_DICT
    return types.FunctionType(code, globals, name, argdefs, closure)


def function_setstate(func, state):
    """Restore the state of a function made by ``make_function``.

    ``state`` is ``(dict_state, slotstate)``: ``dict_state`` updates
    ``func.__dict__``; in ``slotstate``, ``"__closure__"`` is None or a
    tuple of cells whose contents are copied into ``func``'s own cells, and
    every other key is set with ``setattr`` (``__name__``, ``__qualname__``,
    ``__defaults__``, ``__kwdefaults__``, ``__annotations__`` or (3.14+)
    ``__annotate__``, ``__type_params__``, ``__module__``, ``__doc__``).
    The function's globals are left as they are (the module's namespace).
    """
    dict_state, slotstate = state
    if dict_state:
        func.__dict__.update(dict_state)
    slotstate = dict(slotstate) if slotstate else {}
    closure = slotstate.pop("__closure__", None)
    if closure is not None:
        cells = func.__closure__
        for i, cell in enumerate(closure):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell stays empty
                continue
            cells[i].cell_contents = value
    for key, value in slotstate.items():
        setattr(func, key, value)


def import_attribute(module_name, qualname):
    """Import ``module_name`` and return it, or its attribute ``qualname``
    (a dotted path) when that is not None."""
    module = sys.modules.get(module_name)
    if module is None:
        module = importlib.import_module(module_name)
    if qualname is None:
        return module
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
