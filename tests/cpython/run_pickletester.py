"""Run CPython's own pickle test suite against anethum's pickling side.

Every interpreter ships ``test/pickletester.py`` (the abstract tests) and
``test/test_pickle.py`` (which composes them for ``pickle._Pickler`` and
``_pickle.Pickler``).  This runner composes the same abstract tests with
``anethum.Pickler`` / ``anethum.dump`` / ``anethum.dumps`` on the pickling
side and the stdlib unpicklers on the loading side, exactly the way
``test_pickle.py`` composes them for ``_pickle``.  Where ``test_pickle.py``
adds version-specific test methods to a concrete class (e.g. the
reference-cycle and ``super()`` tests of ``PyIdPersPicklerTests``), we
subclass that concrete class so those methods come along; classes missing
from an interpreter (``AbstractPicklingErrorTests`` before 3.13) are
detected with ``getattr`` rather than by version number.

Composed (name here <- model in test_pickle.py):

* ``AnethumPickleModuleTests`` <- ``CPickleTests``: ``AbstractPickleModuleTests``
  with anethum's ``dump``/``dumps``/``Pickler`` and ``_pickle``'s
  ``load``/``loads``/``Unpickler`` (covers the buffer_callback/out-of-band
  API, bad files, closed files, positional/keyword call API).
* ``AnethumPicklerTests`` <- ``CPicklerTests``: ``AbstractPickleTests`` through
  ``Pickler(BytesIO).dump``, loaded by ``_pickle.Unpickler``.
* ``AnethumDumpPyLoadTests`` <- ``CDumpPickle_LoadPickle``: same, loaded by
  the pure-Python ``pickle._Unpickler``.
* ``AnethumDumpsTests`` <- ``InMemoryPickleTests`` (pickling half only):
  ``AbstractPickleTests`` + ``BigmemPickleTests`` through ``anethum.dumps``
  (bigmem tests skip unless run with a memory limit, as in CPython).
* ``AnethumPicklingErrorTests`` <- ``CPicklingErrorTests`` (3.13+ only).
* ``AnethumPersPicklerTests`` <- ``CPersPicklerTests``.
* ``AnethumIdPersPicklerTests`` <- ``CIdPersPicklerTests``.
* ``AnethumPicklerUnpicklerObjectTests`` <- ``CPicklerUnpicklerObjectTests``
  (memo proxy, clear_memo, reuse, priming the memo).
* ``AnethumDispatchTableTests`` / ``AnethumChainDispatchTableTests`` <-
  ``CDispatchTableTests`` / ``CChainDispatchTableTests``.
* ``AnethumPicklerHookTests`` <- ``CPicklerHookTests`` (reducer_override).

Left out, because they do not exercise a pickler:

* ``*UnpicklerTests``, ``AbstractUnpickleTests`` and the unpickling half of
  ``InMemoryPickleTests``: anethum only pickles; its ``loads`` is the stdlib's.
* ``PyPickleTests`` / ``Py*`` classes: they test ``pickle._Pickler``.
* ``SizeofTests``: asserts the C struct layout of ``_pickle.Pickler``.
* ``HeapTypesTests``: asserts GC flags / immutability of ``_pickle``'s type
  objects, an implementation detail; the behaviour it protects (pickler
  reference cycles being collectable) is covered by
  ``test_pickler_reference_cycle`` and the dispatch-table memleak test,
  which are composed.
* ``CompatPickleTests`` and the doctests: they check ``_compat_pickle``
  tables, not a pickler (fix_imports output is covered by
  ``AbstractPickleTests.test_compat_pickle`` and ``tests/python``).

Two modes:

* ``--mode strict`` (the default): anethum with ``by_value=False``, i.e.
  exactly ``pickle``'s behaviour. It must score what ``_pickle`` scores:
  0 failures, 0 errors.
* ``--mode by-value``: anethum's defaults. Pickling by value is meant to
  succeed where ``pickle`` refuses, so the tests that assert a refusal
  (local objects, raw ``staticmethod``/``classmethod`` objects) are
  skipped as intended divergences (``BY_VALUE_DIVERGENCES``); everything
  else must pass.

Usage: ``python tests/cpython/run_pickletester.py [--mode M] [-v] [-k PATTERN]``.
Exit status is 0 iff there were no failures and no errors.  The last line
printed is ``pickletester: N passed, N failed, N skipped`` for this
interpreter.
"""
import argparse
import collections
import pickle
import sys
import unittest

import _pickle
import anethum
from test import pickletester as pt
from test import test_pickle as tp


# Tests that assert pickle refuses something anethum pickles by value, or
# that pickle turns an object into another one, which anethum doesn't.
BY_VALUE_DIVERGENCES = {
    "test_newobj_proxies": "a live weak proxy stays a proxy (pickle saves its referent)",
    "test_local_lookup_error": "local functions and classes go by value",
    "test_py_methods": "raw staticmethod/classmethod objects go by value",
    "test_c_methods": "raw staticmethod/classmethod objects go by value",
    "test_unpickleable_newobj_class": "local classes go by value",
    "test_unpickleable_newobj_ex_class": "local classes go by value",
}


def api(by_value):
    """anethum's dump, dumps and Pickler with `by_value` fixed."""
    if by_value:
        return anethum.dump, anethum.dumps, anethum.Pickler

    def dump(obj, file, protocol=None, *, fix_imports=True, buffer_callback=None):
        anethum.dump(obj, file, protocol, fix_imports=fix_imports,
                     buffer_callback=buffer_callback, by_value=False)

    def dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None):
        return anethum.dumps(obj, protocol, fix_imports=fix_imports,
                             buffer_callback=buffer_callback, by_value=False)

    class Pickler(anethum.Pickler):
        def __init__(self, file, protocol=None, fix_imports=True,
                     buffer_callback=None):
            super().__init__(file, protocol, fix_imports, buffer_callback,
                             by_value=False)

    return dump, dumps, Pickler


def build_classes(by_value=False):
    dump, dumps, Pickler = api(by_value)
    classes = {}

    def add(name, bases, **ns):
        if by_value:
            for test, why in BY_VALUE_DIVERGENCES.items():
                if any(hasattr(base, test) for base in bases):
                    ns[test] = unittest.skip("intended divergence: " + why)(
                        lambda self: None)
        classes[name] = type(name, bases + (unittest.TestCase,), ns)

    add("AnethumPickleModuleTests", (pt.AbstractPickleModuleTests,),
        dump=staticmethod(dump), dumps=staticmethod(dumps),
        load=staticmethod(_pickle.load), loads=staticmethod(_pickle.loads),
        Pickler=Pickler, Unpickler=_pickle.Unpickler)

    base = tp.PyPicklerTests
    add("AnethumPicklerTests", (base,),
        pickler=Pickler, unpickler=_pickle.Unpickler)
    add("AnethumDumpPyLoadTests", (base,),
        pickler=Pickler, unpickler=pickle._Unpickler)

    add("AnethumDumpsTests",
        (pt.AbstractPickleTests, pt.BigmemPickleTests),
        dumps=lambda self, arg, protocol=None, **kw:
            dumps(arg, protocol, **kw),
        loads=lambda self, buf, **kw: _pickle.loads(buf, **kw),
        test_framed_write_sizes_with_delayed_writer=None)

    errors = getattr(tp, "PyPicklingErrorTests", None)
    if errors is not None:
        add("AnethumPicklingErrorTests", (errors,), pickler=Pickler)

    add("AnethumPersPicklerTests", (tp.PyPersPicklerTests,),
        pickler=Pickler, unpickler=_pickle.Unpickler)
    add("AnethumIdPersPicklerTests", (tp.PyIdPersPicklerTests,),
        pickler=Pickler, unpickler=_pickle.Unpickler,
        persistent_load_error=_pickle.UnpicklingError)

    add("AnethumPicklerUnpicklerObjectTests",
        (pt.AbstractPicklerUnpicklerObjectTests,),
        pickler_class=Pickler, unpickler_class=_pickle.Unpickler)

    add("AnethumDispatchTableTests", (pt.AbstractDispatchTableTests,),
        pickler_class=Pickler,
        get_dispatch_table=lambda self: pickle.dispatch_table.copy())
    add("AnethumChainDispatchTableTests", (pt.AbstractDispatchTableTests,),
        pickler_class=Pickler,
        get_dispatch_table=lambda self:
            collections.ChainMap({}, pickle.dispatch_table))

    custom = type("CustomAnethumPickler",
                  (Pickler, pt.AbstractCustomPicklerClass), {})
    add("AnethumPicklerHookTests", (pt.AbstractHookTests,),
        pickler_class=custom)

    for cls in classes.values():
        cls.__module__ = __name__
    return classes


def build_suite(pattern=None, by_value=False):
    loader = unittest.TestLoader()
    if pattern:
        loader.testNamePatterns = ["*%s*" % pattern]
    suite = unittest.TestSuite()
    for cls in build_classes(by_value).values():
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-k", dest="pattern")
    parser.add_argument("--mode", choices=["strict", "by-value"], default="strict")
    args = parser.parse_args(argv)
    runner = unittest.TextTestRunner(verbosity=2 if args.verbose else 1,
                                     stream=sys.stdout)
    result = runner.run(build_suite(args.pattern, args.mode == "by-value"))
    failed_ids = {getattr(test, "test_case", test).id()
                  for test, _ in result.failures + result.errors}
    failed_ids.update(t.id() for t in result.unexpectedSuccesses)
    bad = len(failed_ids)
    skipped = len(result.skipped)
    passed = result.testsRun - bad - skipped
    print("python %d.%d.%d, anethum from %s" % (
        sys.version_info[:3] + (anethum.__file__,)))
    print("pickletester (%s): %d passed, %d failed, %d skipped"
          % (args.mode, passed, bad, skipped))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
