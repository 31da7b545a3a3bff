#!/usr/bin/env bash
# Runs the by-value tests under valgrind's memcheck (PYTHONMALLOC=malloc, so
# every object is a malloc block valgrind can watch) and fails on
#   - any "Invalid read" / "Invalid write" / invalid free (anywhere), or any
#     other memcheck error whose stack passes through anethum's extension;
#   - any "definitely lost" block allocated under anethum's extension
#     (`_anethum*.so`; CPython's own exit-time leaks don't count).
#
#   scripts/valgrind.sh          # CI subset: a representative part of the by-value tests
#   scripts/valgrind.sh --full   # every tests/python/test_by_value_*.py, on every CPython
#                                # (ANETHUM_PYTHONS, default 3.9 … 3.13), for soak runs
#
# ANETHUM_VALGRIND_PYTHON=3.X picks the CPython of the CI subset (default 3.11).
# Logs: target-valgrind-py3X/valgrind.log.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

full=0
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    *) echo "usage: $0 [--full]" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v valgrind >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing valgrind with apt"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null; then
    $sudo apt-get update -q >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null
  fi
fi

# The CI subset: functions, classes, enums, dynamic modules, loaders,
# memo and refcount paths; without the tests that only repeat the same dumps
# many times (RSS, refcounts over 500 dumps), which valgrind makes slow and
# which test_by_value_leaks.py covers natively.
CI_TESTS=(
  tests/python/test_by_value_functions.py
  tests/python/test_by_value_classes.py
  tests/python/test_by_value_class_kinds.py
  tests/python/test_by_value_misc.py
  tests/python/test_by_value_leaks.py
)
CI_DESELECT=(-k "not test_rss_flat_over_many_dumps")

if [ "$full" -eq 1 ]; then
  pythons="${ANETHUM_PYTHONS:-$ALL_PYTHONS}"
  tests=($(cd "$ROOT" && ls tests/python/test_by_value_*.py))
  deselect=()
else
  pythons="${ANETHUM_VALGRIND_PYTHON:-3.11}"
  tests=("${CI_TESTS[@]}")
  deselect=("${CI_DESELECT[@]}")
fi

failed=""
for minor in $pythons; do
  python="$(python_for "$minor")"
  tag="py${minor/./}"
  venv="$ROOT/.venv-test/valgrind-$tag"
  target="$ROOT/target-valgrind-$tag"
  say "CPython $minor: venv, wheel with line tables (release profile)"
  make_venv "$python" "$venv"
  wheels="$ROOT/wheels/valgrind-$tag"
  rm -rf "$wheels"
  # Same codegen as the shipped wheel; line tables only name the frames.
  (CARGO_TARGET_DIR="$target" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    "$venv/bin/maturin" build --release --quiet -i "$python" -o "$wheels" >&2)
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/anethum-*.whl

  log="$target/valgrind.log"
  say "CPython $minor: ${#tests[@]} test files under valgrind memcheck (log: $log)"
  start=$SECONDS
  status=0
  # From tests/, so the installed wheel is tested, not the source tree.
  (cd "$ROOT/tests" && PYTHONMALLOC=malloc valgrind --tool=memcheck \
      --suppressions="$ROOT/scripts/valgrind-python.supp" \
      --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
      --track-origins=yes --num-callers=40 --log-file="$log" \
      "$venv/bin/python" -m pytest -q -p no:cacheprovider \
        "${tests[@]/#/$ROOT/}" ${deselect[@]+"${deselect[@]}"}) || status=$?
  elapsed=$((SECONDS - start))
  if [ "$status" -ne 0 ]; then
    echo "pytest under valgrind exited with $status" >&2
    failed="$failed $minor"
  fi
  if ! "$venv/bin/python" "$ROOT/scripts/valgrind_check.py" "$log"; then
    failed="$failed $minor"
  fi
  say "CPython $minor: valgrind run took $elapsed s"
done

if [ -n "$failed" ]; then
  echo "valgrind: FAILED on CPython:$failed" >&2
  exit 1
fi
say "valgrind: clean on CPython $pythons"
