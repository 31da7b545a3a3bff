# Shared helpers for the scripts in this directory (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
ALL_PYTHONS="3.9 3.10 3.11 3.12 3.13 3.14 3.15"
TEST_DEPS="pytest pytest-xdist hypothesis numpy"

# Each step with the time since the script started (CI logs show where the minutes go).
say() { printf '\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# The interpreter for a minor version: pyenv's build, else pythonX.Y on PATH,
# else (3.14, 3.15) Debian sid's, unpacked into a cache by scripts/python.sh.
python_for() {
  local minor="$1" found=""
  for candidate in "$PYENV_ROOT"/versions/"$minor".*/bin/python; do
    [ -x "$candidate" ] && found="$candidate"
  done
  if [ -z "$found" ] && command -v "python$minor" >/dev/null; then
    found="$(command -v "python$minor")"
  fi
  if [ -z "$found" ]; then
    case "$minor" in
      3.14|3.15) found="$(bash "$ROOT/scripts/python.sh" --from-sid "$minor")" || found="" ;;
    esac
  fi
  [ -n "$found" ] || { echo "no CPython $minor found (looked in $PYENV_ROOT/versions and PATH)" >&2; return 1; }
  echo "$found"
}

# The first interpreter of the minor versions $2... on which `python $1`
# succeeds (e.g. "-m pip --version"), printed; fails if none does.
first_python_with() {
  local args="$1" m python
  shift
  for m in "$@"; do
    # shellcheck disable=SC2086
    python="$(python_for "$m" 2>/dev/null)" && "$python" $args >/dev/null 2>&1 && { echo "$python"; return 0; }
  done
  return 1
}

# A venv at $2 for interpreter $1 with pip and nothing else (kept if there).
# Where ensurepip can't install pip (Debian's 3.14/3.15 from scripts/python.sh
# look for system wheels), the venv is made --without-pip
# and pip is bootstrapped from a pip wheel that another CPython downloads
# from PyPI (cached in ${ANETHUM_CACHE:-$HOME/.cache/anethum}/wheels).
make_bare_venv() {
  local python="$1" venv="$2"
  if [ ! -x "$venv/bin/python" ]; then
    # ensurepip is usable when a plain venv works; on the sid 3.14/3.15 it
    # picks bookworm's pip 23.0.1 from /usr/share/python-wheels and fails.
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      "$python" -m venv --without-pip "$venv"
      local target wheels="${ANETHUM_CACHE:-$HOME/.cache/anethum}/wheels" whl="" other
      target="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
      whl="$(ls "$wheels"/pip-*-py3-none-any.whl 2>/dev/null | sort -V | tail -1 || true)"
      if [ -z "$whl" ]; then
        other="$(first_python_with "-m pip --version" 3.13 3.12 3.11 3.10 3.9)" || other=""
        [ -n "$other" ] || { echo "make_venv: no CPython with pip to download pip for $python" >&2; return 1; }
        mkdir -p "$wheels"
        "$other" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
          --python-version "$target" -d "$wheels" pip >&2
        whl="$(ls "$wheels"/pip-*-py3-none-any.whl | sort -V | tail -1)"
      fi
      "$venv/bin/python" "$whl/pip" install -q --disable-pip-version-check --no-index "$whl" >&2
    fi
  fi
}

# A venv at $2 for interpreter $1 with maturin and the test dependencies.
make_venv() {
  local python="$1" venv="$2"
  make_bare_venv "$python" "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install -q --disable-pip-version-check maturin $TEST_DEPS
}

# Builds the wheel for one interpreter into wheels/ and prints its path.
# Each version gets its own target dir so builds don't invalidate each other.
# ANETHUM_WHEEL_PROFILE picks the cargo profile (default `ci`: no fat LTO;
# `release` for what ships).
build_wheel() {
  local minor="$1" python="$2" maturin="$3"
  local tag="cp${minor/./}"
  rm -f "$ROOT"/wheels/anethum-*-"$tag"-*.whl
  (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target-py${minor/./}" "$maturin" build --profile "${ANETHUM_WHEEL_PROFILE:-ci}" --quiet \
    -i "$python" -o "$ROOT/wheels" >&2)
  ls "$ROOT"/wheels/anethum-*-"$tag"-*.whl
}

# pytest, with exit code 5 ("no tests collected") turned into a failure:
# an empty run here means the suite went missing, not that all is well.
run_pytest() {
  local python="$1"; shift
  local status=0
  "$python" -m pytest "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: the suite is missing or mis-configured" >&2
    return 1
  fi
  return "$status"
}
