"""Stand-in ``dill`` package for running dill's tests on ``anethum.dill``.

``import dill`` gives this package, whose attributes are those of
``anethum.dill`` (looked up there, so later changes show); ``dill._dill``
and ``dill.dill`` are ``anethum._dill``, ``dill.logger`` is
``anethum._dill_logger``, ``dill.detect``/``dill.source``/``dill.session``
are anethum's (when they exist). dill's own helper modules that only use
dill's public API (``_objects``, ``objtypes``, ``temp``, ``__diff``,
``pointers``, ``_shims``) and its ``tests`` package are copied next to this
file by scripts/dill_suite.sh.
"""

import importlib
import sys

import anethum._dill as _internals
import anethum._dill_logger as _logger
import anethum.dill as _facade

_OWN = ("__name__", "__path__", "__file__", "__spec__", "__loader__",
        "__package__", "__cached__", "__builtins__", "__getattr__", "__dir__", "__doc__")
globals().update({k: v for k, v in vars(_facade).items() if k not in _OWN})

sys.modules[__name__ + "._dill"] = _internals
sys.modules[__name__ + ".dill"] = _internals
sys.modules[__name__ + ".logger"] = _logger
_dill = dill = _internals
logger = _logger

for _sub, _target in (("detect", "anethum.detect"), ("source", "anethum.source"),
                      ("session", "anethum._session")):
    try:
        _module = importlib.import_module(_target)
    except ImportError:
        continue
    sys.modules[__name__ + "." + _sub] = _module
    globals()[_sub] = _module
del _sub, _target


def __getattr__(name):
    return getattr(_facade, name)
