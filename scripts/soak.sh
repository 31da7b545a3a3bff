#!/usr/bin/env bash
# The long forms of the reliability tests (CI runs their short forms):
#   1. allocation-failure injection over every allocation index, both modes;
#   2. tests/python/reliability with ANETHUM_SOAK_SECONDS per test: every
#      callback raising everything, adversarial hypothesis graphs, thread
#      stress, RSS over >= 1M mixed dumps, the class-id census;
#   3. the class-id collision census for the whole duration;
#   4. the whole suite on the debug CPython (hypothesis' dev profile);
#   5. the by-value tests under valgrind on every CPython.
#
#   scripts/soak.sh                      # 600 s per part on CPython 3.11
#   scripts/soak.sh --seconds 3600       # the duration knob (per part)
#   scripts/soak.sh --per-test 30        # ANETHUM_SOAK_SECONDS for step 2 (default: seconds / 20)
#   scripts/soak.sh --python 3.13        # another interpreter for steps 1-3
#   scripts/soak.sh --skip debug,valgrind
#
# Prints each part's summary and exits 1 if any part failed.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

seconds=600
per_test=""
minor=3.11
skip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --per-test) per_test="$2"; shift ;;
    --python) minor="$2"; shift ;;
    --skip) skip="$2"; shift ;;
    *) echo "usage: $0 [--seconds N] [--per-test N] [--python 3.X] [--skip alloc,pytest,census,debug,valgrind]" >&2; exit 2 ;;
  esac
  shift
done
per_test="${per_test:-$(( seconds / 20 > 5 ? seconds / 20 : 5 ))}"
skipped() { [[ ",$skip," == *",$1,"* ]]; }

python="$(python_for "$minor")"
venv="$ROOT/.venv-soak/py${minor/./}"
say "CPython $minor: venv and wheel for the soak"
make_venv "$python" "$venv"
wheel="$(build_wheel "$minor" "$python" "$venv/bin/maturin")"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

failed=""
started="$(date -u +%Y-%m-%dT%H:%MZ)"
cd "$ROOT/tests"
if ! skipped alloc; then
  say "allocation-failure injection, ${seconds}s"
  "$venv/bin/python" python/reliability/alloc_failure.py --duration "$seconds" || failed="$failed alloc"
fi
if ! skipped pytest; then
  say "reliability tests, ${per_test}s each (ANETHUM_SOAK_SECONDS)"
  ANETHUM_SOAK_SECONDS="$per_test" run_pytest "$venv/bin/python" -q -s -p no:cacheprovider \
    "$ROOT/tests/python/reliability" --deselect "$ROOT/tests/python/reliability/test_alloc_failure.py" \
    || failed="$failed pytest"
fi
if ! skipped census; then
  say "class-id collision census, ${seconds}s"
  "$venv/bin/python" python/reliability/class_collisions.py --seconds "$seconds" || failed="$failed census"
fi
cd "$ROOT"
if ! skipped debug; then
  say "debug CPython: the whole suite, dev profile"
  bash scripts/debug_python.sh --full || failed="$failed debug"
fi
if ! skipped valgrind; then
  say "valgrind: every by-value test on every CPython"
  bash scripts/valgrind.sh --full || failed="$failed valgrind"
fi

echo "soak started $started, ended $(date -u +%Y-%m-%dT%H:%MZ), CPython $minor, ${seconds}s per part"
if [ -n "$failed" ]; then
  echo "soak FAILED:$failed" >&2
  exit 1
fi
say "soak passed"
