"""Comparison helpers: anethum's output against the stdlib C pickler's."""
import difflib
import io
import sys
import pickle
import pickletools

import anethum

PROTOCOLS = tuple(range(pickle.HIGHEST_PROTOCOL + 1))
MAX_DIFF_LINES = 300
CONTEXT_BEFORE = 20
TAIL_BYTES = 4096


def disassemble(data):
    """pickletools.dis lines; on failure the lines so far, then a hexdump."""
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out, annotate=0)
    except Exception as exc:
        hexdump = [data[i:i + 32].hex(" ") for i in range(0, len(data), 32)]
        return (out.getvalue().splitlines()
                + ["<dis failed: %r; hex follows>" % (exc,)] + hexdump)
    return out.getvalue().splitlines()


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def pickle_diff(expected, actual):
    """Unified diff of the disassemblies, around the first difference.

    Only a prefix reaching a little past the first differing byte is
    disassembled, so huge pickles stay cheap to report.
    """
    cut = first_difference(expected, actual) + TAIL_BYTES
    if cut < max(len(expected), len(actual)):
        exp, act = disassemble_prefix(expected[:cut]), \
            disassemble_prefix(actual[:cut])
    else:
        exp, act = disassemble(expected), disassemble(actual)
    start = max(first_difference(exp, act) - CONTEXT_BEFORE, 0)
    stop = start + MAX_DIFF_LINES
    diff = difflib.unified_diff(exp[start:stop], act[start:stop],
                                "pickle", "anethum", lineterm="", n=4)
    lines = list(diff)[:MAX_DIFF_LINES]
    lines.append("(disassembly lines %d..%d shown; %d and %d bytes, "
                 "first difference at byte %d)"
                 % (start, stop, len(expected), len(actual),
                    first_difference(expected, actual)))
    return "\n".join(lines)


def disassemble_prefix(data):
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out, annotate=0)
    except Exception:
        pass
    return out.getvalue().splitlines() + ["<truncated>"]


def short(value):
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "...(%d chars)" % len(
        text)


def assert_bytes_equal(expected, actual, what=""):
    __tracebackhide__ = True
    if expected == actual:
        return
    raise AssertionError(
        "pickles differ%s (pickle: %d bytes, anethum: %d bytes)\n%s"
        % (" for " + what if what else "", len(expected), len(actual),
           pickle_diff(expected, actual)))


def describe_buffers(buffers):
    out = []
    for buf in buffers:
        with buf.raw() as raw:
            out.append((bytes(raw), raw.readonly))
    return out


def assert_same_pickle(obj, protocol, *, oob=False, **kw):
    """Assert anethum.dumps == pickle.dumps; return the pickle.

    With oob=True each side gets its own buffer_callback collecting the
    out-of-band buffers, and the collected buffers must match too.
    """
    __tracebackhide__ = True
    if oob:
        exp_bufs, act_bufs = [], []
        expected = pickle.dumps(obj, protocol, buffer_callback=exp_bufs.append,
                                **kw)
        actual = anethum.dumps(obj, protocol, buffer_callback=act_bufs.append,
                               **kw)
        assert_bytes_equal(expected, actual, "protocol %r" % (protocol,))
        assert describe_buffers(act_bufs) == describe_buffers(exp_bufs)
        return expected
    expected = pickle.dumps(obj, protocol, **kw)
    actual = anethum.dumps(obj, protocol, **kw)
    assert_bytes_equal(expected, actual, "protocol %r" % (protocol,))
    return expected


def outcome(func):
    try:
        return ("ok", func())
    except Exception as exc:
        # Dropping the traceback keeps frames (and the pickled objects in
        # them) out of reference cycles: CPython 3.9 crashes when the GC
        # clears a cycle holding a PickleBuffer over a memoryview.
        return ("raise", exc.with_traceback(None))


def assert_same_outcome(pickle_call, anethum_call):
    """Both calls return identical bytes, or both raise the same type."""
    __tracebackhide__ = True
    exp_kind, exp = outcome(pickle_call)
    act_kind, act = outcome(anethum_call)
    if exp_kind == "raise" or act_kind == "raise":
        assert (exp_kind, type(exp)) == (act_kind, type(act)), (
            "pickle gave %s, anethum gave %s" % (short(exp), short(act)))
        if exp_kind == "raise":
            assert str(act), "empty message on %r" % (type(act),)
            if sys.version_info >= (3, 14):
                # From 3.14 pickle notes where the error happened, step by
                # step (gh-122213); anethum must give the same notes.
                assert getattr(act, "__notes__", None) == getattr(exp, "__notes__", None), (
                    "notes: pickle %r, anethum %r" % (getattr(exp, "__notes__", None),
                                                      getattr(act, "__notes__", None)))
        return exp
    assert_bytes_equal(exp, act)
    return exp


def assert_same_dumps_outcome(obj, protocol, by_value=True, **kw):
    __tracebackhide__ = True
    return assert_same_outcome(
        lambda: pickle.dumps(obj, protocol, **kw),
        lambda: anethum.dumps(obj, protocol, by_value=by_value, **kw))


def assert_same_error(obj, protocol=None, **kw):
    """Both dumps raise; same exception type, non-empty message."""
    __tracebackhide__ = True
    exc = assert_same_dumps_outcome(obj, protocol, **kw)
    assert isinstance(exc, BaseException), "pickle did not raise"
    return exc


def pickler_pair(name="TestPickler", **namespace):
    """The same Pickler subclass built on anethum.Pickler and pickle.Pickler."""
    return (type(name, (pickle.Pickler,), dict(namespace)),
            type(name, (anethum.Pickler,), dict(namespace)))


def dump_with(cls, obj, protocol=None, setup=None, **kw):
    f = io.BytesIO()
    p = cls(f, protocol, **kw)
    if setup is not None:
        setup(p)
    p.dump(obj)
    return f.getvalue()


def assert_same_pickler_output(pair, obj, protocol, setup=None, **kw):
    __tracebackhide__ = True
    expected = dump_with(pair[0], obj, protocol, setup, **kw)
    actual = dump_with(pair[1], obj, protocol, setup, **kw)
    assert_bytes_equal(expected, actual, "%s protocol %r"
                       % (pair[1].__name__, protocol))
    return expected
