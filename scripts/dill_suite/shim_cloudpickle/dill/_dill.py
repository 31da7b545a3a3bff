"""The few ``dill._dill`` names dill's helper modules and tests need, for
the cloudpickle stand-in (no pickling internals)."""

import builtins
import os
import sys
from pickle import PickleError, PicklingError, UnpicklingError
from pickle import _Pickler as StockPickler
from types import MappingProxyType as DictProxyType

HANDLE_FMODE, CONTENTS_FMODE, FILE_FMODE = 0, 1, 2
IS_PYPY = sys.implementation.name == "pypy"
OLD310 = sys.hexversion < 0x30a0000
MAPPING_PROXY_TRICK = False
_testcapsule = None
_reverse_typemap = {}


class PickleWarning(Warning, PickleError):
    pass


class PicklingWarning(PickleWarning, PicklingError):
    pass


class UnpicklingWarning(PickleWarning, UnpicklingError):
    pass


def get_file_type(*args, **kwargs):
    open = kwargs.pop("open", builtins.open)
    f = open(os.devnull, *args, **kwargs)
    t = type(f)
    f.close()
    return t


def is_dill(pickler, child=None):
    from . import Pickler
    if child is False or not hasattr(pickler.__class__, "mro"):
        return "dill" in pickler.__module__
    return Pickler in pickler.__class__.mro()
