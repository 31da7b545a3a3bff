#!/usr/bin/env bash
# Runs the whole Python suite (tests/python, tests/cpython) against anethum
# built for a debug CPython: Debian's python3.11-dbg (Py_DEBUG), with
# PYTHONMALLOC=debug and -X dev. Its assertions catch refcount and GIL
# misuse, use of freed memory (the debug allocator poisons it) and
# buffer overruns that a release interpreter hides; and
# tests/python/test_total_refcount.py, which needs sys.gettotalrefcount,
# runs only here.
#
#   scripts/debug_python.sh          # the whole suite (what CI runs)
#   scripts/debug_python.sh --full   # the same with hypothesis' "dev" profile
#                                    # (500 examples instead of 150), for soak runs
#   scripts/debug_python.sh -- ARGS  # extra pytest arguments (e.g. -k by_value)
#
# Installs python3.11-dbg, python3.11-venv, python3.11-dev and
# libpython3.11-testsuite (test.pickletester) with apt when missing (as
# root, or through sudo). numpy has no cp311d wheels, so only pytest and
# hypothesis are installed; the numpy tests skip.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

profile=ci-debug
# CI form: fewer hypothesis examples (tests/python/conftest.py) and a
# quarter of the heaviest reliability matrices (the release CPython runs
# cover them whole); --full: all of them at the soak's example count.
share=0/4
# CI form: what a debug interpreter checks best, the reliability matrices
# (their share), the leak and refcount tests and the Python hooks of the
# pickler; the whole suite (3-4x slower here than on a release CPython,
# which runs it on every version) with --full.
targets=(python/reliability python/test_total_refcount.py python/test_leaks.py
  python/test_by_value_leaks.py python/test_dill_pickler.py python/test_errors_deep.py)
pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) profile=dev; share=0/1; targets=(python cpython) ;;
    --) shift; pytest_args=("$@"); break ;;
    *) echo "usage: $0 [--full] [-- PYTEST_ARGS...]" >&2; exit 2 ;;
  esac
  shift
done

DBG_PYTHON=/usr/bin/python3.11-dbg
DBG_PACKAGES="python3.11-dbg python3.11-venv python3.11-dev libpython3.11-testsuite"

install_dbg_python() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  command -v apt-get >/dev/null || { echo "$DBG_PYTHON is missing and there is no apt-get to install it" >&2; return 1; }
  say "installing $DBG_PACKAGES with apt"
  # On a fresh machine the package lists may be missing or stale.
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $DBG_PACKAGES >/dev/null; then
    $sudo apt-get update -q >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $DBG_PACKAGES >/dev/null
  fi
}

have_dbg_python() {
  [ -x "$DBG_PYTHON" ] && "$DBG_PYTHON" -c 'import ensurepip, sysconfig, sys, test.pickletester
assert sys.abiflags == "d"
assert sysconfig.get_config_var("INCLUDEPY")' 2>/dev/null \
    && [ -f "$("$DBG_PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("INCLUDEPY"))')/Python.h" ]
}

have_dbg_python || install_dbg_python
have_dbg_python || { echo "$DBG_PYTHON (Py_DEBUG, with venv and headers) is not usable" >&2; exit 1; }

venv="$ROOT/.venv-test/py311d"
say "venv $venv with $("$DBG_PYTHON" --version) (Py_DEBUG)"
rm -rf "$venv"
"$DBG_PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
"$venv/bin/python" -m pip install -q --disable-pip-version-check maturin pytest pytest-xdist hypothesis

say "building anethum for $DBG_PYTHON"
# Release profile (deep graphs need optimized stack frames), plus Rust's
# debug assertions and overflow checks; no LTO, to build faster.
wheels="$ROOT/wheels/py311d"
rm -rf "$wheels"
(CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-py311d}" \
  CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
  CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
  CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  "$venv/bin/maturin" build --release --quiet -i "$DBG_PYTHON" -o "$wheels" >&2)
wheel="$(ls "$wheels"/anethum-*-cp311-cp311d-*.whl)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

say "${targets[*]} under $DBG_PYTHON with PYTHONMALLOC=debug -X dev (hypothesis profile $profile)"
start=$SECONDS
# Run from a directory without the source tree, so the installed wheel is tested.
# PYTHONDEVMODE=1 is -X dev.
(cd "$ROOT/tests" && ANETHUM_ALLOC_PER_MODE="${ANETHUM_ALLOC_PER_MODE:-8}" PYTHONMALLOC=debug PYTHONDEVMODE=1 PYTHONFAULTHANDLER=1 HYPOTHESIS_PROFILE="$profile" \
  ANETHUM_CI_SHARE="${ANETHUM_CI_SHARE:-$share}" \
  run_pytest "$venv/bin/python" -q -n "${ANETHUM_TEST_WORKERS:-2}" -p no:cacheprovider \
    "${targets[@]}" ${pytest_args[@]+"${pytest_args[@]}"})
say "debug interpreter: suite passed in $((SECONDS - start)) s"
