"""Modules whose functions and classes anethum pickles by value.

By default a function or class that is an attribute of an importable module
is pickled by reference (module name + qualified name), as ``pickle`` does.
After ``register_pickle_by_value(module)``, those of ``module`` and of its
submodules are pickled by value instead, so they load where the module is
not importable.

The Rust pickler reads ``PICKLE_BY_VALUE_MODULES`` directly (set membership
of a module's name and of its parent packages' names): that set object must
never be rebound, only mutated.
"""

import sys
import types

__all__ = [
    "PICKLE_BY_VALUE_MODULES",
    "is_registered_pickle_by_value",
    "list_registry_pickle_by_value",
    "register_pickle_by_value",
    "unregister_pickle_by_value",
]

#: Names of the modules registered for pickling by value.  Mutate only.
PICKLE_BY_VALUE_MODULES = set()


def _check_module(module):
    if not isinstance(module, types.ModuleType):
        raise ValueError(
            f"Input should be a module object, got {str(module)} instead")


def register_pickle_by_value(module):
    """Pickle the functions and classes of ``module`` by value from now on.

    ``module`` must be a module object present in ``sys.modules`` (i.e.
    imported with an ``import`` statement).  Its submodules are covered
    too.  This is meant for code under development that the processes
    loading the pickles cannot import.
    """
    _check_module(module)
    if module.__name__ not in sys.modules:
        raise ValueError(
            f"{module} was not imported correctly, have you used an "
            "`import` statement to access it?")
    PICKLE_BY_VALUE_MODULES.add(module.__name__)


def unregister_pickle_by_value(module):
    """Undo ``register_pickle_by_value(module)``."""
    _check_module(module)
    if module.__name__ not in PICKLE_BY_VALUE_MODULES:
        raise ValueError(f"{module} is not registered for pickle by value")
    PICKLE_BY_VALUE_MODULES.remove(module.__name__)


def list_registry_pickle_by_value():
    """Return a copy of the set of names of the registered modules."""
    return PICKLE_BY_VALUE_MODULES.copy()


def is_registered_pickle_by_value(module):
    """Whether ``module`` (a module or a module name) or one of its parent
    packages is registered for pickling by value."""
    name = module if isinstance(module, str) else module.__name__
    while True:
        if name in PICKLE_BY_VALUE_MODULES:
            return True
        parent, dot, _ = name.rpartition(".")
        if not dot:
            return False
        name = parent
