#!/usr/bin/env bash
# Prints the path of a working CPython for a minor version: `scripts/python.sh 3.14`.
#
# Looks where lib.sh's python_for looks (pyenv, then python3.X on PATH). For
# 3.14 and 3.15, where neither has one, it unpacks Debian sid's binary
# packages (the interpreter, its stdlib, -dev, -testsuite, and sid's libc and
# the libraries the extension modules need) into a cache outside the repo,
# ${ANETHUM_CACHE:-$HOME/.cache/anethum}/python3.X, and patchelf's the binary
# and lib-dynload/*.so to use that libc (../shared/TOOLCHAIN.md, "3.14 and
# 3.15 from Debian sid"). A second call only checks the cache and prints.
#
#   scripts/python.sh 3.14            # lookup, else the sid cache
#   scripts/python.sh --from-sid 3.14 # the sid cache only (what python_for calls)
source "$(dirname "$0")/lib.sh"

SID_MINORS="3.14 3.15"
CACHE="${ANETHUM_CACHE:-$HOME/.cache/anethum}"

# Packages for python3.X from sid; names sid doesn't have are skipped.
sid_packages() {
  local x="python$1"
  echo "$x $x-minimal lib$x lib$x-minimal lib$x-stdlib lib$x-dev lib$x-testsuite $x-dev $x-venv" \
    "libc6 libc6-dev libexpat1 zlib1g libffi8 libssl3t64 libzstd1 liblzma5 libbz2-1.0 libgcc-s1" \
    "libsqlite3-0 libncursesw6 libtinfo6 libreadline8t64 libuuid1 libmpdec4 libcrypt1"
}

# A private apt configuration for sid in $CACHE/apt-sid (the system's apt is untouched).
sid_apt() {
  local w="$CACHE/apt-sid" uri
  uri="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  mkdir -p "$w/etc/apt/preferences.d" "$w/etc/apt/sources.list.d" "$w/var/lib/apt/lists/partial" \
    "$w/var/cache/apt/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri sid main" >"$w/etc/apt/sources.list"
  [ -e "$w/status" ] || : >"$w/status"
  APTO=(-o "Dir::Etc=$w/etc/apt" -o "Dir::Etc::sourcelist=$w/etc/apt/sources.list"
        -o "Dir::Etc::sourceparts=$w/etc/apt/sources.list.d" -o "Dir::State=$w/var/lib/apt"
        -o "Dir::State::status=$w/status" -o "Dir::Cache=$w/var/cache/apt"
        -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  # One `update` per day at most: the package lists are shared by 3.14 and 3.15.
  if [ -z "$(find "$w/var/lib/apt/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get "${APTO[@]}" -qq update >&2
  fi
}

# Makes $CACHE/python$1 (if not there) and prints its interpreter.
from_sid() {
  local minor="$1"
  case " $SID_MINORS " in *" $minor "*) ;; *)
    echo "python.sh: only $SID_MINORS come from Debian sid, not $minor" >&2; return 1 ;;
  esac
  local root="$CACHE/python$minor"
  local python="$root/usr/bin/python$minor"
  if [ -e "$root/.complete" ] && "$python" -c 'pass' 2>/dev/null; then
    echo "$python"; return 0
  fi
  mkdir -p "$CACHE"
  # One unpacker at a time (test.sh and setup.sh may run side by side).
  exec 9>"$CACHE/.python$minor.lock"
  flock 9
  if [ -e "$root/.complete" ] && "$python" -c 'pass' 2>/dev/null; then
    echo "$python"; return 0
  fi
  say "CPython $minor: unpacking Debian sid's packages into $root" >&2
  command -v patchelf >/dev/null || {
    say "installing patchelf (apt)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >&2 ||
      { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >&2; }
  }
  sid_apt
  local debs="$CACHE/debs-python$minor" want=() pkg known
  # One apt-cache call (each builds the package cache anew, ~1.5 s).
  # shellcheck disable=SC2046
  known=" $(apt-cache "${APTO[@]}" show --no-all-versions $(sid_packages "$minor") 2>/dev/null |
    awk '/^Package:/ { printf "%s ", $2 }') "
  for pkg in $(sid_packages "$minor"); do
    case "$known" in
      *" $pkg "*) want+=("$pkg") ;;
      *) echo "python.sh: sid has no package $pkg; skipped" >&2 ;;
    esac
  done
  rm -rf "$debs"; mkdir -p "$debs"
  (cd "$debs" && apt-get "${APTO[@]}" -qq download "${want[@]}" >&2)
  local tmp="$root.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  local deb
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$tmp"; done
  local lib="$root/usr/lib/x86_64-linux-gnu"   # final paths: patchelf writes them into the files
  [ -x "$tmp/usr/bin/python$minor" ] || { echo "python.sh: no usr/bin/python$minor in sid's packages" >&2; return 1; }
  [ -e "$tmp/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] ||
    { echo "python.sh: sid's libc6 has no ld-linux-x86-64.so.2" >&2; return 1; }
  patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --set-rpath "$lib" "$tmp/usr/bin/python$minor"
  local so
  for so in "$tmp/usr/lib/python$minor/lib-dynload/"*.so; do patchelf --set-rpath "$lib" "$so"; done
  rm -rf "$root"; mv "$tmp" "$root"; rm -rf "$debs"
  "$python" -c 'import sys, ssl, ctypes, sqlite3, zlib, lzma, bz2, _decimal, venv, test.pickletester' >&2 ||
    { echo "python.sh: the unpacked $python does not work" >&2; return 1; }
  : >"$root/.complete"
  say "CPython $minor: $("$python" -c 'import sys; print(sys.version.split()[0])') at $python" >&2
  echo "$python"
}

main() {
  local sid_only=""
  [ "${1:-}" = "--from-sid" ] && { sid_only=1; shift; }
  [ $# -eq 1 ] || { echo "usage: $0 [--from-sid] 3.X" >&2; return 2; }
  if [ -n "$sid_only" ]; then from_sid "$1"; else python_for "$1"; fi
}

main "$@"
