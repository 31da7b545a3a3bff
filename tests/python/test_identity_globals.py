"""Byte identity for classes, functions and builtins pickled by reference."""
import collections
import functools
import io
import itertools
import math
import operator
import os
import sys

import pytest

import objects
from helpers import assert_same_dumps_outcome, assert_same_pickle

GLOBALS = [
    len, print, getattr, object, type, int, dict, list, Exception,
    collections.OrderedDict, collections.defaultdict, functools.reduce,
    functools.partial, math.sqrt, os.path.join, operator.add,
    itertools.chain, io.BytesIO, type(None), type(...), type(NotImplemented),
    objects.Plain, objects.Outer, objects.Outer.Inner,
    objects.Outer.Inner.Deepest, objects.Outer.static, objects.Outer.klass,
    objects.Outer.Inner.method, objects.module_function,
    objects.orphan_function, objects.Meta, objects.WithMeta,
    objects.Pair, objects.set_state,
]

BOUND = [
    [].append, {}.get, "abc".upper, dict.fromkeys, str.upper,
    int.__add__, object.__reduce_ex__, objects.Outer.klass,
    operator.itemgetter(1, 2), operator.attrgetter("a.b"),
    operator.methodcaller("m", 1, k=2),
]

FIX_IMPORTS = [
    collections.UserDict, collections.UserList, collections.UserString,
    range, str, bytes, functools.reduce, itertools.filterfalse,
    itertools.zip_longest, io.StringIO, ConnectionError, FileNotFoundError,
    ModuleNotFoundError, OSError, KeyError, StopIteration, ArithmeticError,
    collections.abc.Iterable, os.getcwd, Exception, map, filter, zip,
    sys.intern, input, chr, ord,
]


def name_of(obj):
    return getattr(obj, "__qualname__", type(obj).__name__)


@pytest.mark.parametrize("obj", GLOBALS, ids=name_of)
def test_global(obj, proto):
    assert_same_dumps_outcome(obj, proto)


@pytest.mark.parametrize("obj", BOUND, ids=name_of)
def test_bound_and_descriptor(obj, proto):
    assert_same_dumps_outcome(obj, proto)


@pytest.mark.parametrize("fix_imports", [True, False])
@pytest.mark.parametrize("obj", FIX_IMPORTS, ids=name_of)
def test_fix_imports(obj, fix_imports, proto):
    assert_same_dumps_outcome(obj, proto, fix_imports=fix_imports)


def test_global_memoized(proto):
    assert_same_pickle([len, len, objects.Plain, objects.Plain, type(None),
                        type(None)], proto)


def test_type_singletons_together(proto):
    assert_same_pickle((type(None), type(...), type(NotImplemented), None,
                        ..., NotImplemented), proto)


def test_stack_global_name_shared_with_data(proto):
    assert_same_pickle(["builtins", "len", len, "objects", objects.Plain],
                       proto)
