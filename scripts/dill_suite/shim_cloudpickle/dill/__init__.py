"""Stand-in ``dill`` package for running dill's tests on cloudpickle.

dill's public pickling API over ``cloudpickle.dumps`` and ``pickle.loads``:
dill's options (``byref``, ``recurse``, ``fmode``, ``ignore``) are accepted
and ignored, ``register``/``pickle`` only fill ``Pickler.dispatch``,
``extend`` does nothing. There are no ``detect``, ``source`` or session
functions. dill's helper modules that only use its public API and its
``tests`` are copied next to this file by scripts/dill_suite.sh.
"""

import io
import pickle as _pickle
import sys
import warnings

import cloudpickle

from pickle import DEFAULT_PROTOCOL, HIGHEST_PROTOCOL, PickleError, PicklingError, UnpicklingError

from . import _dill
from ._dill import (CONTENTS_FMODE, FILE_FMODE, HANDLE_FMODE, PickleWarning,
                    PicklingWarning, UnpicklingWarning, is_dill)

__version__ = "0.4.1"
settings = {"protocol": DEFAULT_PROTOCOL, "byref": False, "fmode": 0,
            "recurse": False, "ignore": False}
sys.modules[__name__ + ".dill"] = _dill


class Pickler(cloudpickle.Pickler):
    dispatch = {}
    settings = settings

    def __init__(self, file, *args, **kwds):
        for key in ("byref", "fmode", "recurse", "ignore", "strictio"):
            kwds.pop(key, None)
        super().__init__(file, *args, **kwds)
        self._file = file


class Unpickler(_pickle.Unpickler):
    settings = settings

    def __init__(self, *args, **kwds):
        kwds.pop("ignore", None)
        super().__init__(*args, **kwds)


def dump(obj, file, protocol=None, byref=None, fmode=None, recurse=None, **kwds):
    protocol = settings["protocol"] if protocol is None else int(protocol)
    kwds.pop("ignore", None)
    Pickler(file, protocol, **kwds).dump(obj)


def dumps(obj, protocol=None, byref=None, fmode=None, recurse=None, **kwds):
    f = io.BytesIO()
    dump(obj, f, protocol, byref, fmode, recurse, **kwds)
    return f.getvalue()


def load(file, ignore=None, **kwds):
    return Unpickler(file, **kwds).load()


def loads(str, ignore=None, **kwds):
    return load(io.BytesIO(str), ignore, **kwds)


def copy(obj, *args, **kwds):
    ignore = kwds.pop("ignore", settings["ignore"])
    return loads(dumps(obj, *args, **kwds), ignore=ignore)


def pickle(t, func):
    Pickler.dispatch[t] = func


def register(t):
    def proxy(func):
        Pickler.dispatch[t] = func
        return func
    return proxy


def extend(use_dill=True):
    return


def pickles(obj, exact=False, safe=False, **kwds):
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
                warnings.simplefilter("ignore")
                result = pik == obj
        if hasattr(result, "toarray"):
            result = result.toarray().all()
        if result:
            return True
        if not exact:
            if type(pik) == type(obj):
                return True
            return repr(type(pik)) == repr(type(obj))
        return False
    except exceptions:
        return False


def check(obj, *args, **kwds):
    import subprocess
    verbose = kwds.pop("verbose", False)
    python = kwds.pop("python", None) or sys.executable
    data = dumps(obj, *args, **kwds)
    cmd = [python, "-c", "import pickle; print(pickle.loads(%r))" % (data,)]
    msg = "SUCCESS" if not subprocess.call(cmd) else "LOAD FAILED"
    if verbose:
        print(msg)


objects = {}


def load_types(pickleable=True, unpickleable=True):
    from . import _objects
    if pickleable:
        objects.update(_objects.succeeds)
    else:
        [objects.pop(obj, None) for obj in _objects.succeeds]
    if unpickleable:
        objects.update(_objects.failures)
    else:
        [objects.pop(obj, None) for obj in _objects.failures]
    objects.update(_objects.registered)
