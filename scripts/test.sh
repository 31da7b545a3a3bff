#!/usr/bin/env bash
# Runs every test: generated code in step with the spec, the Rust tests,
# then for each CPython (ANETHUM_PYTHONS, default 3.9 … 3.13) a fresh wheel
# installed into a fresh venv and the whole Python suite against it; then
# the suite on a debug CPython (scripts/debug_python.sh) and the by-value
# tests under valgrind (scripts/valgrind.sh).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

pythons="${ANETHUM_PYTHONS:-$ALL_PYTHONS}"

say "generated code is in step with spec/, templates/ and facts/"
cargo xtask gen --all --check

say "Rust tests (codegen, xtask)"
cargo test -q -p anethum-codegen -p xtask

say "Rust tests (runtime, embedded CPython 3.11)"
py311="$(python_for 3.11)"
PYO3_PYTHON="$py311" LD_LIBRARY_PATH="$("$py311" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')" \
  CARGO_TARGET_DIR="$ROOT/target-py311" cargo test -q -p anethum-runtime

failed=""
for minor in $pythons; do
  python="$(python_for "$minor")"
  venv="$ROOT/.venv-test/py${minor/./}"
  say "CPython $minor: fresh venv, wheel, tests"
  rm -rf "$venv"
  make_venv "$python" "$venv"
  wheel="$(build_wheel "$minor" "$python" "$venv/bin/maturin")"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
  # The allocation-failure injection runs its full quick form on 3.11 and a
  # lighter stride on the other versions (CI time; the soak runs it all).
  per_mode=8; [ "$minor" = 3.11 ] && per_mode=0
  # Run from a directory without the source tree, so the installed wheel is tested.
  if ! (cd "$ROOT/tests" && ANETHUM_ALLOC_PER_MODE="$per_mode" run_pytest "$venv/bin/python" -q -p no:cacheprovider "$ROOT/tests/python" "$ROOT/tests/cpython"); then
    failed="$failed $minor"
  fi
done

# Reliability runs, in their CI forms (the --full forms are for soak runs):
# the whole suite on a debug CPython 3.11, and the by-value tests under
# valgrind. ANETHUM_RELIABILITY=0 skips them.
if [ "${ANETHUM_RELIABILITY:-1}" != 0 ]; then
  say "debug CPython 3.11 (Py_DEBUG, PYTHONMALLOC=debug, -X dev): the whole suite"
  bash "$ROOT/scripts/debug_python.sh" || failed="$failed 3.11-dbg"
  say "valgrind memcheck: by-value tests (CI subset)"
  bash "$ROOT/scripts/valgrind.sh" || failed="$failed 3.11-valgrind"
fi

if [ -n "$failed" ]; then
  echo "FAILED on CPython:$failed" >&2
  exit 1
fi
say "all tests passed on CPython $pythons"
