"""A digest of a class definition that is the same in every process and
under every hash seed, for deterministic tracker ids.

It reads what defines the class: its module, qualname, metaclass, bases,
and its own namespace (sorted), with functions seen through their code.
Values are fed by type and, for plain atoms and code, by content; anything
else only by its type name, so the digest never depends on addresses or
on a ``repr`` that might. Two classes with the same digest are defined
alike; the tracker then tells them apart by the order they were first
pickled in (see ``anethum.loaders.get_or_create_tracker_id``).
"""

import hashlib
import types

_ATOMS = (type(None), bool, int, float, complex, str, bytes)
_MAX_DEPTH = 6


def class_digest(obj):
    """Hex digest of the definition of ``obj`` (a class or a TypeVar)."""
    h = hashlib.blake2b(digest_size=16, person=b"anethum-class-1")
    _feed(h, "module", getattr(obj, "__module__", None))
    _feed(h, "qualname", getattr(obj, "__qualname__", getattr(obj, "__name__", None)))
    if isinstance(obj, type):
        _feed_type_name(h, type(obj))
        for base in obj.__bases__:
            _feed_type_name(h, base)
        namespace = obj.__dict__
        for key in sorted(k for k in namespace if isinstance(k, str)):
            _feed(h, "key", key)
            _feed_value(h, namespace[key], 0)
    else:
        for attr in ("__bound__", "__constraints__", "__covariant__", "__contravariant__"):
            _feed_value(h, getattr(obj, attr, None), 0)
    return h.hexdigest()


def _feed(h, tag, text):
    data = ("%s=%r;" % (tag, text)).encode("utf-8", "surrogatepass")
    h.update(len(data).to_bytes(4, "little"))
    h.update(data)


def _feed_type_name(h, cls):
    _feed(h, "type", "%s.%s" % (getattr(cls, "__module__", "?"), getattr(cls, "__qualname__", "?")))


def _feed_value(h, value, depth):
    if depth > _MAX_DEPTH:
        _feed(h, "deep", None)
    elif type(value) in _ATOMS:
        _feed(h, "atom", value)
    elif isinstance(value, (tuple, list)):
        _feed(h, type(value).__name__, len(value))
        for item in value:
            _feed_value(h, item, depth + 1)
    elif isinstance(value, frozenset) and all(type(v) in _ATOMS for v in value):
        _feed(h, "frozenset", sorted(repr(v) for v in value))
    elif isinstance(value, types.FunctionType):
        _feed_code(h, value.__code__, depth + 1)
    elif isinstance(value, (classmethod, staticmethod)):
        _feed_type_name(h, type(value))
        _feed_value(h, value.__func__, depth + 1)
    elif isinstance(value, property):
        for part in (value.fget, value.fset, value.fdel):
            _feed_value(h, part, depth + 1)
    elif isinstance(value, types.CodeType):
        _feed_code(h, value, depth + 1)
    else:
        _feed_type_name(h, type(value))


def _feed_code(h, code, depth):
    _feed(h, "code", (code.co_name, code.co_argcount, code.co_flags, code.co_names, code.co_varnames))
    h.update(code.co_code)
    for const in code.co_consts:
        _feed_value(h, const, depth)
