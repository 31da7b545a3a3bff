#!/usr/bin/env bash
# Runs every test: generated code in step with the spec, the Rust tests,
# then for each CPython (ANETHUM_PYTHONS, default 3.9 … 3.15) a fresh wheel
# installed into a fresh venv and the whole Python suite against it; then
# the suite on a debug CPython (scripts/debug_python.sh) and the by-value
# tests under valgrind (scripts/valgrind.sh).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

pythons="${ANETHUM_PYTHONS:-$ALL_PYTHONS}"

logs="$ROOT/.venv-test/build-logs"
mkdir -p "$logs"
# Fresh venvs (mostly pip downloads) in the background, beside the Rust
# tests (CPU); the wheels wait for them.
say "fresh venvs for CPython $pythons, in the background (log: $logs/venvs.log)"
(
  for minor in $pythons; do
    venv="$ROOT/.venv-test/py${minor/./}"
    rm -rf "$venv"
    make_venv "$(python_for "$minor")" "$venv"
  done
) >"$logs/venvs.log" 2>&1 &
venvs_pid=$!

say "generated code is in step with spec/, templates/ and facts/"
cargo xtask gen --all --check

say "Rust tests (codegen, xtask)"
cargo test -q -p anethum-codegen -p xtask

say "Rust tests (runtime, embedded CPython 3.11)"
py311="$(python_for 3.11)"
PYO3_PYTHON="$py311" LD_LIBRARY_PATH="$("$py311" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')" \
  CARGO_TARGET_DIR="$ROOT/target-py311" cargo test -q -p anethum-runtime

failed=""
if ! wait "$venvs_pid"; then
  tail -n 40 "$logs/venvs.log" >&2
  echo "making the venvs failed (log: $logs/venvs.log)" >&2
  exit 1
fi
# The wheels two at a time, then each version's suite.
say "building the wheels for CPython $pythons, ${ANETHUM_BUILD_JOBS:-2} at a time (logs in $logs)"
running=0
for minor in $pythons; do
  venv="$ROOT/.venv-test/py${minor/./}"
  (build_wheel "$minor" "$(python_for "$minor")" "$venv/bin/maturin" >"$logs/$minor.wheel" 2>"$logs/$minor.log") &
  running=$((running + 1))
  if [ "$running" -ge "${ANETHUM_BUILD_JOBS:-2}" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

for minor in $pythons; do
  venv="$ROOT/.venv-test/py${minor/./}"
  wheel="$(cat "$logs/$minor.wheel" 2>/dev/null || true)"
  say "CPython $minor: the suite against $(basename "${wheel:-no wheel}")"
  if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
    tail -n 40 "$logs/$minor.log" >&2
    failed="$failed $minor"
    continue
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
  # CI time: the two heaviest reliability matrices (allocation-failure
  # injection, callback exceptions) are split between versions
  # (ANETHUM_CI_SHARE): 3.11 and 3.14 take half each at the full quick
  # stride, 3.9/3.10/3.12 and 3.13/3.15 split them again at a lighter one.
  # The soak (scripts/soak.sh) runs everything everywhere.
  per_mode=8
  case "$minor" in
    3.11) per_mode=0; share=0/2 ;;
    3.14) per_mode=0; share=1/2 ;;
    3.9) share=0/3 ;; 3.10) share=1/3 ;; 3.12) share=2/3 ;;
    3.13) share=0/2 ;; 3.15) share=1/2 ;;
    *) share=0/1 ;;
  esac
  # Run from a directory without the source tree, so the installed wheel
  # is tested; two pytest-xdist workers, one per core.
  if ! (cd "$ROOT/tests" && ANETHUM_ALLOC_PER_MODE="$per_mode" ANETHUM_CI_SHARE="$share" \
      run_pytest "$venv/bin/python" -q -n "${ANETHUM_TEST_WORKERS:-2}" -p no:cacheprovider \
      "$ROOT/tests/python" "$ROOT/tests/cpython"); then
    failed="$failed $minor"
  fi
done

# One release artifact the way scripts/wheels.sh makes them all: a
# manylinux_2_28 wheel (maturin --zig), auditwheel, a smoke test in a fresh
# venv. ANETHUM_WHEEL_CHECK=0 skips it.
if [ "${ANETHUM_WHEEL_CHECK:-1}" != 0 ]; then
  say "a manylinux wheel (scripts/wheels.sh --check-one 3.11)"
  bash "$ROOT/scripts/wheels.sh" --check-one 3.11 || failed="$failed wheel"
fi

# Reliability runs, in their CI forms (the --full forms are for soak runs):
# the reliability, leak and hook tests on a debug CPython 3.11, and the by-value tests under
# valgrind. ANETHUM_RELIABILITY=0 skips them.
if [ "${ANETHUM_RELIABILITY:-1}" != 0 ]; then
  say "debug CPython 3.11 (Py_DEBUG, PYTHONMALLOC=debug, -X dev): reliability, leaks, the Python hooks"
  bash "$ROOT/scripts/debug_python.sh" || failed="$failed 3.11-dbg"
  say "valgrind memcheck: by-value tests (CI subset)"
  bash "$ROOT/scripts/valgrind.sh" || failed="$failed 3.11-valgrind"
fi

if [ -n "$failed" ]; then
  echo "FAILED on CPython:$failed" >&2
  exit 1
fi
say "all tests passed on CPython $pythons"
