"""anethum: a pickler for all of Python, written in Rust.

For everything the standard library can pickle, ``anethum.dumps(obj, p)``
returns exactly the bytes of ``pickle.dumps(obj, p)``, for protocols 0 to 5.
Pickles load with the standard ``pickle.loads``; ``anethum.loads`` *is*
``pickle.loads``.

``anethum.dill`` offers dill's API (``import anethum.dill as dill``), and
``anethum.settings`` is its process-wide settings dict.
"""

from pickle import (
    PickleBuffer,
    PickleError,
    PicklingError,
    UnpicklingError,
    Unpickler,
    load,
    loads,
)

from ._compat import is_tornado_coroutine
from ._errors import PicklingRecursionError
from ._session import (
    dump_module, dump_session, load_module, load_module_asdict, load_session)
from ._settings import settings
from ._registry import (
    list_registry_pickle_by_value,
    register_pickle_by_value,
    unregister_pickle_by_value,
)
from ._anethum import (
    DEFAULT_PROTOCOL,
    HIGHEST_PROTOCOL,
    Pickler,
    PicklerMemoProxy,
    dump,
    dumps,
)
from . import detect, source  # noqa: E402  (dill.detect, dill.source)

__all__ = [
    "DEFAULT_PROTOCOL",
    "HIGHEST_PROTOCOL",
    "PickleBuffer",
    "PickleError",
    "Pickler",
    "PicklerMemoProxy",
    "PicklingError",
    "PicklingRecursionError",
    "Unpickler",
    "UnpicklingError",
    "dump",
    "dumps",
    "dump_module",
    "dump_session",
    "is_tornado_coroutine",
    "list_registry_pickle_by_value",
    "register_pickle_by_value",
    "settings",
    "unregister_pickle_by_value",
    "load",
    "loads",
    "load_module",
    "load_module_asdict",
    "load_session",
]
