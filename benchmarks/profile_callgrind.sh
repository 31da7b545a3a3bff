#!/usr/bin/env bash
# Instruction counts of ONE dumps() call, pickle vs anethum, under callgrind.
# Usage: benchmarks/profile_callgrind.sh WORKLOAD [--quick | --scale S] [--module M]
#   PYTHON=/path/to/python (default python3); workloads: bench_dumps.py --list
# Collection is toggled on only inside operator.call (or functools.reduce before
# 3.11), through which the child makes its single dumps call, so interpreter
# start-up and building the workload are not counted.
set -euo pipefail
wl=${1:?usage: $0 WORKLOAD [--quick | --scale S] [--module M]}; shift
here=$(cd "$(dirname "$0")" && pwd)
# valgrind must exec the interpreter itself, not a pyenv shim script
exe=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
toggle=$("$exe" -c 'import operator; print("_operator_call" if hasattr(operator, "call") else "functools_reduce")')
out=$(mktemp -d "${TMPDIR:-/tmp}/callgrind.XXXXXX")
export PYTHONHASHSEED=0

declare -A ir
for who in pickle anethum; do
    echo "callgrind: $wl / $who ..." >&2
    if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$toggle" \
            --callgrind-out-file="$out/$who.out" \
            "$exe" "$here/bench_dumps.py" --callgrind-child "$wl" "$who" "$@" \
            >"$out/$who.log" 2>&1; then
        tail -n 20 "$out/$who.log" >&2
        exit 1
    fi
    ir[$who]=$(awk '/^(summary|totals):/ {print $2; exit}' "$out/$who.out")
done

echo
echo "workload $wl: instructions (Ir) executed inside the one dumps() call"
printf '  %-8s %15s\n' pickle "${ir[pickle]}" anethum "${ir[anethum]}"
awk -v a="${ir[anethum]}" -v p="${ir[pickle]}" 'BEGIN { if (p > 0) printf "  ratio    %15.3f  (anethum / pickle)\n", a / p }'
echo
echo "top 15 functions for anethum (self Ir):"
callgrind_annotate --inclusive=no "$out/anethum.out" 2>/dev/null \
    | sed -n '/file:function/,$p' | sed -n '2,$p' | grep -v '^-*$' | head -n 15 \
    | sed -E 's#(^|[ [])[^ []*/#\1#g'
echo
echo "raw profiles: $out/{pickle,anethum}.out  (callgrind_annotate --inclusive=yes FILE, or kcachegrind)"
