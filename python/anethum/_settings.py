"""Process-wide settings for anethum's dill-compatible API.

``anethum.settings`` (the same dict as ``anethum.dill.settings``) is a plain
dict, like ``dill.settings``, with dill's keys and defaults:

``protocol``
    the default pickle protocol of ``anethum.dill.dumps``/``dump``/``Pickler``
    (``pickle.DEFAULT_PROTOCOL``).
``byref``
    dill: pickle some objects (modules, classes) by reference, not by value
    (``False``).
``fmode``
    how file handles are pickled: ``HANDLE_FMODE`` (0, the default),
    ``CONTENTS_FMODE`` (1) or ``FILE_FMODE`` (2).
``recurse``
    dill: pickle only the globals a function refers to, not its whole
    global dict (``False``).
``ignore``
    dill: when loading, leave instances of ``__main__`` classes with the
    reconstructed class rather than pointing them at the class of that name
    in ``__main__`` (``False``).

and one of anethum's own:

``track_classes``
    what loading a by-value class (or enum) whose original is alive in this
    process gives back. ``None`` (the default): ``anethum.loads`` /
    ``pickle.loads`` give back the tracked, original class, as cloudpickle
    does; ``anethum.dill.loads``/``load``/``copy`` make a new class each time,
    as dill does. ``True``: every load gives the tracked class. ``False``:
    every load (``pickle.loads`` too) makes a new class.

Values are read when a pickler is made (or a load starts), so changing them
affects later calls only.
"""

from pickle import DEFAULT_PROTOCOL as _DEFAULT_PROTOCOL

__all__ = ["settings", "DEFAULTS"]

#: The defaults, for resetting: ``settings.update(DEFAULTS)``.
DEFAULTS = {
    "protocol": _DEFAULT_PROTOCOL,
    "byref": False,
    "fmode": 0,  # HANDLE_FMODE
    "recurse": False,
    "ignore": False,
    "track_classes": None,
}

#: The process-wide settings (a plain dict; see the module docstring).
settings = dict(DEFAULTS)
