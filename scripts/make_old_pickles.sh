#!/usr/bin/env bash
# Regenerates tests/old_pickles/py3X/ (pickles + manifest.json) with today's
# anethum on each CPython (ANETHUM_PYTHONS, default 3.9 … 3.15): a release
# wheel per version, installed into a venv of its own, runs
# tests/old_pickles/make_corpus.py. Not part of CI: the corpus is committed,
# and tests/python/test_old_pickles.py checks that it still loads.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

for minor in ${ANETHUM_PYTHONS:-$ALL_PYTHONS}; do
  python="$(python_for "$minor")"
  tag="py${minor/./}"
  venv="$ROOT/.venv-test/corpus-$tag"
  wheels="$ROOT/wheels/corpus-$tag"
  say "CPython $minor: wheel, venv, corpus"
  make_venv "$python" "$venv"
  rm -rf "$wheels"
  (CARGO_TARGET_DIR="$ROOT/target-corpus-$tag" "$venv/bin/maturin" build --release --quiet \
    -i "$python" -o "$wheels" >&2)
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/anethum-*.whl
  # From a scratch directory, so the installed wheel is what pickles.
  (cd "$(mktemp -d)" && "$venv/bin/python" "$ROOT/tests/old_pickles/make_corpus.py" "$ROOT/tests/old_pickles/$tag")
done
