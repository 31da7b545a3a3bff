#!/usr/bin/env bash
# dill's own test suite (dill/tests/*.py from the dill wheel) against a pickler.
#
#   scripts/dill_suite.sh [PICKLER]        PICKLER = anethum (default) | dill | cloudpickle
#
# Makes (or reuses) a venv .venv-dill/py3.X with dill, cloudpickle and numpy
# (scripts/lib.sh's make_bare_venv), copies dill's tests out of that venv's
# dill package into a temp dir and runs each file as __main__, as upstream
# does (python dill/tests/test_x.py; see dill/tests/__main__.py), through
# scripts/dill_suite/runner.py, which counts each test_* call of the file's
# __main__ block as one test and keeps going after a failure. For anethum and
# cloudpickle a stand-in `dill` package (scripts/dill_suite/shim_<PICKLER>)
# is first on sys.path: for anethum it is anethum.dill (dill._dill is
# anethum._dill, dill.detect/source/session anethum's); dill's helper
# modules that only use its public API (_objects, objtypes, temp, __diff)
# and its tests package are copied into it. Prints a per-file table.
#
# Environment:
#   PY                CPython minor version (default 3.11)
#   DILL_VERSION      dill to install (default 0.4.1); CLOUDPICKLE_VERSION (3.1.2)
#   ANETHUM_PYTHONPATH where `import anethum` finds a build for PY (default python/,
#                     where the extension is copied); or ANETHUM_WHEEL=<wheel> to
#                     pip-install one into the venv instead
#   OUT               results directory (default /tmp/dill_suite/<PICKLER>-py3.X):
#                     <test>.json, <test>.log, summary.json, summary.md
#   TEST_TIMEOUT      seconds per test file (default 300)
#   ONLY              space-separated test files to run (e.g. "test_nested.py")
#
# Exit status: 0 if the suite ran (whatever passed), 2 if it couldn't run.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e

PICKLER="${1:-anethum}"
case "$PICKLER" in anethum|dill|cloudpickle) ;; *) echo "usage: $0 [anethum|dill|cloudpickle]" >&2; exit 2 ;; esac
MINOR="${PY:-3.11}"
DILL_VERSION="${DILL_VERSION:-0.4.1}"
CLOUDPICKLE_VERSION="${CLOUDPICKLE_VERSION:-3.1.2}"
OUT="${OUT:-/tmp/dill_suite/$PICKLER-py$MINOR}"
TEST_TIMEOUT="${TEST_TIMEOUT:-300}"
HERE="$ROOT/scripts/dill_suite"
die() { echo "error: $*" >&2; exit 2; }

python="$(python_for "$MINOR")" || die "no CPython $MINOR"
venv="$ROOT/.venv-dill/py$MINOR"
make_bare_venv "$python" "$venv" || die "could not make $venv"
vpy="$venv/bin/python"
want="dill==$DILL_VERSION cloudpickle==$CLOUDPICKLE_VERSION numpy"
if ! "$vpy" -c "import importlib.metadata as m, sys; sys.exit(m.version('dill') != '$DILL_VERSION' or m.version('cloudpickle') != '$CLOUDPICKLE_VERSION')" 2>/dev/null \
   || ! "$vpy" -c "import numpy" 2>/dev/null; then
  say "installing $want into $venv"
  # shellcheck disable=SC2086
  "$vpy" -m pip install -q --disable-pip-version-check $want >&2 || die "pip install failed"
fi
site="$("$vpy" -c 'import dill, os; print(os.path.dirname(dill.__file__))')" || die "no dill in $venv"
[[ -d "$site/tests" ]] || die "the dill package in $venv has no tests/ ($site)"

pythonpath=""
if [[ "$PICKLER" == anethum ]]; then
  if [[ -n "${ANETHUM_WHEEL:-}" ]]; then
    "$vpy" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$ANETHUM_WHEEL" >&2 \
      || die "could not install $ANETHUM_WHEEL"
  else
    pythonpath="${ANETHUM_PYTHONPATH:-$ROOT/python}"
  fi
  PYTHONPATH="$pythonpath" "$vpy" -c "import anethum._anethum, anethum.dill" \
    || die "anethum (with anethum.dill) doesn't import for CPython $MINOR from ${pythonpath:-the venv}: build it for $MINOR or set ANETHUM_WHEEL"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dill_suite.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tests" "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.log "$OUT"/summary.*
cp "$site"/tests/*.py "$work/tests/"
if [[ "$PICKLER" != dill ]]; then
  shim="$work/shim"
  mkdir -p "$shim/dill"
  cp "$HERE/shim_$PICKLER/dill/"*.py "$shim/dill/"
  for m in _objects objtypes temp __diff; do cp "$site/$m.py" "$shim/dill/"; done
  cp -r "$site/tests" "$shim/dill/tests"
  rm -rf "$shim/dill/tests/__pycache__"
  pythonpath="$shim${pythonpath:+:$pythonpath}"
fi

if [[ -n "${ONLY:-}" ]]; then read -r -a files <<<"$ONLY"; else
  files=(); for f in "$work"/tests/test_*.py; do files+=("$(basename "$f")"); done
fi
say "dill $DILL_VERSION tests on $PICKLER, CPython $("$vpy" -c 'import platform; print(platform.python_version())') (${#files[@]} files) -> $OUT"
for f in "${files[@]}"; do
  name="${f%.py}"
  (cd "$work/tests" && PYTHONPATH="$pythonpath" PYTHONDONTWRITEBYTECODE=1 \
     timeout "$TEST_TIMEOUT" "$vpy" "$HERE/runner.py" "$f" "$OUT/$name.json") >"$OUT/$name.log" 2>&1
  rc=$?
  [[ $rc -eq 124 ]] && echo "timeout after ${TEST_TIMEOUT}s" >>"$OUT/$name.log"
  printf '.' >&2
done
echo >&2

"$vpy" - "$OUT" "$PICKLER" "$DILL_VERSION" "${files[@]}" <<'EOF'
import json, os, platform, sys, time
out, pickler, dill_version, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rows, totals = [], {"tests": 0, "passed": 0, "failed": 0, "skipped": 0}
details = {}
for f in files:
    name = f[:-3]
    try:
        data = json.load(open(os.path.join(out, name + ".json")))
        tests = data["tests"]
    except (OSError, ValueError, KeyError):
        tests = [["(file)#0", "failed", "no results (see %s.log)" % name]]
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for label, outcome, error in tests:
        counts[outcome] += 1
    details[f] = tests
    rows.append((f, len(tests), counts))
    totals["tests"] += len(tests)
    for k in counts:
        totals[k] += counts[k]
header = "dill %s tests on %s, CPython %s, %s" % (dill_version, pickler, platform.python_version(),
                                                time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()))
md = [header, "", "| file | tests | passed | failed | skipped |", "|---|---:|---:|---:|---:|"]
for f, n, c in rows:
    md.append("| %s | %d | %d | %d | %d |" % (f, n, c["passed"], c["failed"], c["skipped"]))
md.append("| **total** | **%d** | **%d** | **%d** | **%d** |" % (
    totals["tests"], totals["passed"], totals["failed"], totals["skipped"]))
text = "\n".join(md)
print(text)
print()
print("%s passes %d of %d tests (failing tests and errors: %s/summary.json)"
      % (pickler, totals["passed"], totals["tests"], out))
open(os.path.join(out, "summary.md"), "w").write(text + "\n")
json.dump({"header": header, "pickler": pickler, "totals": totals,
           "files": {f: {"tests": n, **c} for f, n, c in rows}, "tests": details},
          open(os.path.join(out, "summary.json"), "w"), indent=1)
EOF
