#!/usr/bin/env bash
# Sets up a development environment and runs the demo:
# a project venv (.venv, CPython 3.11 unless ANETHUM_PYTHON=3.X), maturin,
# the test dependencies, and anethum built into it in release mode.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

minor="${ANETHUM_PYTHON:-3.11}"
python="$(python_for "$minor")"
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }

# CPython 3.14 and 3.15 come from Debian sid where no such interpreter is
# installed (scripts/python.sh); fetched here so scripts/test.sh finds them.
for other in 3.14 3.15; do
  say "CPython $other: $(python_for "$other")"
done

say "venv .venv with $("$python" --version)"
make_venv "$python" .venv
say "building anethum (release) into .venv"
.venv/bin/maturin develop --release --quiet
say "demo"
.venv/bin/python examples/demo.py
