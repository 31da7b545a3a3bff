"""Reads a memcheck log (scripts/valgrind.sh) and fails on what is anethum's.

Fails (exit 1) on:
  - any invalid read, invalid write or invalid/mismatched free, wherever it is;
  - any other memcheck error (uninitialised values, overlapping memcpy, ...)
    whose stack passes through anethum's extension;
  - any "definitely lost" block allocated with anethum's extension on the stack.
CPython's own exit-time leaks and errors outside anethum are counted and
printed, not failed on. Prints a summary and every failing record.

usage: python valgrind_check.py LOG
"""
import collections
import re
import sys

#: A frame of anethum's extension: the .so by name (no symbols), a Rust
#: symbol of the `_anethum` crate, or a source line under runtime/src.
ANETHUM_FRAME = re.compile(r"_anethum|/runtime/src/|anethum_runtime")
PREFIX = re.compile(r"^==\d+==( |$)")
LEAK = re.compile(r"([\d,]+) bytes in ([\d,]+) blocks are (definitely|indirectly|possibly) lost")
ALWAYS_FATAL = ("Invalid read", "Invalid write", "Invalid free", "Mismatched free")


def records(text):
    """The log's records: lists of lines without the ==pid== prefix."""
    current = []
    for line in text.splitlines():
        if not PREFIX.match(line):
            continue
        body = PREFIX.sub("", line, count=1)
        if body.strip() == "":
            if current:
                yield current
            current = []
        else:
            current.append(body)
    if current:
        yield current


def main(path):
    with open(path, errors="replace") as f:
        text = f.read()
    summary = re.search(r"ERROR SUMMARY: .*", text)
    if not summary:
        print("valgrind: no ERROR SUMMARY in %s: valgrind did not run or did not finish" % path)
        return 1
    kinds = collections.Counter()
    in_anethum = collections.Counter()
    fatal = []
    lost_bytes = collections.Counter()
    for rec in records(text):
        head = rec[0].strip()
        through_anethum = any(ANETHUM_FRAME.search(line) for line in rec[1:])
        leak = LEAK.search(head)
        if leak:
            kind = leak.group(3) + " lost"
            kinds[kind] += 1
            lost_bytes[kind] += int(leak.group(1).replace(",", ""))
            if through_anethum:
                in_anethum[kind] += 1
                if kind == "definitely lost":
                    fatal.append(rec)
            continue
        if not (rec[1:] and rec[1].lstrip().startswith(("at 0x", "by 0x"))):
            continue  # a summary or a note, not an error record
        kind = re.sub(r" of size \d+| \(.*", "", head)
        kinds[kind] += 1
        if through_anethum:
            in_anethum[kind] += 1
        if head.startswith(ALWAYS_FATAL) or through_anethum:
            fatal.append(rec)

    print("valgrind summary (%s): %s" % (path, summary.group(0)))
    if not kinds:
        print("  no errors, no definitely lost blocks")
    for kind, n in sorted(kinds.items()):
        extra = " (%d bytes)" % lost_bytes[kind] if kind in lost_bytes else ""
        print("  %-60s %5d%s, %d through _anethum" % (kind, n, extra, in_anethum[kind]))
    for key in ("Invalid read", "Invalid write"):
        print("  %s errors: %d" % (key, kinds[key]))
    print("  definitely lost records through _anethum: %d" % in_anethum["definitely lost"])
    if fatal:
        print("\n%d failing record(s):" % len(fatal))
        for rec in fatal[:20]:
            print("\n".join("  " + line for line in rec))
            print()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
