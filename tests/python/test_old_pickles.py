"""Pickles written by earlier anethum still load with plain ``pickle.loads``.

``tests/old_pickles/py3X/`` holds a corpus made by
``tests/old_pickles/make_corpus.py`` (``scripts/make_old_pickles.sh``) on
each CPython: functions, closures, classes, dataclasses, enums and modules
by value, at several protocols, and a manifest of expressions on the loaded
object with the values they gave at creation time. Each pickle is loaded
here on the CPython that made it (by-value code objects are bound to a
minor version) and checked against the manifest. Never regenerate a corpus
to make this test pass: a failure means old pickles no longer load.
"""
import dataclasses
import json
import os
import pickle
import sys

import pytest

import anethum  # noqa: F401  (pickles refer to anethum.loaders)
import anethum.loaders

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "old_pickles", "py%d%d" % sys.version_info[:2])


def load_manifest():
    path = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


MANIFEST = load_manifest()
ENTRIES = [] if MANIFEST is None else [
    (entry, pickled) for entry in MANIFEST["entries"] for pickled in entry["pickles"]]


def plain(value):
    """What make_corpus.py recorded: the value through JSON."""
    return json.loads(json.dumps(value))


def test_corpus_present():
    assert MANIFEST is not None, "no corpus at %s: run scripts/make_old_pickles.sh" % CORPUS
    assert MANIFEST["python"].rsplit(".", 1)[0] == "%d.%d" % sys.version_info[:2]
    assert MANIFEST["loaders_format_version"] <= anethum.loaders.FORMAT_VERSION
    protocols = {p["protocol"] for _, p in ENTRIES}
    assert {2, 5} <= protocols


@pytest.mark.parametrize("entry, pickled", ENTRIES,
                         ids=[p["file"][:-4] for _, p in ENTRIES])
def test_old_pickle_loads(entry, pickled):
    with open(os.path.join(CORPUS, pickled["file"]), "rb") as f:
        data = f.read()
    obj = pickle.loads(data)
    # The checks run in order on one object, as at creation time.
    for check in entry["checks"]:
        got = plain(eval(check["expr"], {"dataclasses": dataclasses, "obj": obj}))
        assert got == check["expect"], "%s: %s" % (pickled["file"], check["expr"])

