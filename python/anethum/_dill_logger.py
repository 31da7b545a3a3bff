"""Logging for anethum's dill-compatible API (``anethum.dill.logger``).

The counterpart of ``dill.logger``: ``logger`` is the ``logging`` logger
(named ``"anethum.dill"``), ``adapter`` wraps it and has the
``trace(pickler, msg, *args)`` method that dill-style save functions call
(``dill._dill.logger.trace(pickler, "F1: %s", obj)``), and ``trace()``
switches tracing on and off, or, as a context manager, sends it to a file.

Only dill-style save functions (``anethum.dill.Pickler.dispatch`` entries)
write trace lines: what anethum's Rust pickler saves by itself is not
traced.

Adapted from dill 0.4.1's ``dill/logger.py`` (3-clause BSD, Copyright (c)
2008-2016 California Institute of Technology, 2016-2026 The Uncertainty
Quantification Foundation).
"""

import codecs
import contextlib
import locale
import logging
import math
import os

__all__ = ["adapter", "logger", "trace"]

ASCII_MAP = str.maketrans({"│": "|", "├": "|", "┬": "+", "└": "`"})


class TraceAdapter(logging.LoggerAdapter):
    """Wraps the logger; ``trace(pickler, msg, *args)`` logs at INFO with
    the tree depth of the object being saved and its size in the pickle."""

    def __init__(self, logger):
        self.logger = logger

    def addHandler(self, handler):
        """Add ``handler`` to the logger, with the trace formatter."""
        formatter = TraceFormatter("%(prefix)s%(message)s%(suffix)s", handler=handler)
        handler.setFormatter(formatter)
        self.logger.addHandler(handler)

    def removeHandler(self, handler):
        """Remove ``handler`` from the logger."""
        self.logger.removeHandler(handler)

    def process(self, msg, kwargs):
        # No extra fields of its own.
        return msg, kwargs

    def trace_setup(self, pickler):
        """Called by ``anethum.dill.Pickler.dump``: start the depth count."""
        # is_dill(pickler, child=False), inlined: this runs on every dump.
        if 'dill' not in pickler.__module__:
            return
        if self.logger.isEnabledFor(logging.INFO):
            pickler._trace_depth = 1
            pickler._size_stack = []
        else:
            pickler._trace_depth = None

    def trace(self, pickler, msg, *args, **kwargs):
        """Log ``msg % args`` for ``pickler``'s current object (a message
        starting with ``#`` closes the object opened by the previous one)."""
        if not hasattr(pickler, "_trace_depth"):
            logger.info(msg, *args, **kwargs)
            return
        if pickler._trace_depth is None:
            return
        extra = kwargs.get("extra", {})
        pushed_obj = msg.startswith("#")
        size = None
        try:
            size = pickler._file.tell()
            frame = pickler.framer.current_frame
            try:
                size += frame.tell()
            except AttributeError:
                size += len(frame)
        except (AttributeError, TypeError, ValueError, OSError):
            pass
        if size is not None:
            if not pushed_obj:
                pickler._size_stack.append(size)
            elif pickler._size_stack:
                size -= pickler._size_stack.pop()
                extra["size"] = size
        if pushed_obj:
            pickler._trace_depth -= 1
        extra["depth"] = pickler._trace_depth
        kwargs["extra"] = extra
        self.info(msg, *args, **kwargs)
        if not pushed_obj:
            pickler._trace_depth += 1


class TraceFormatter(logging.Formatter):
    """Adds the tree prefix and size suffix to trace records."""

    def __init__(self, *args, handler=None, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            encoding = handler.stream.encoding
            if encoding is None:
                raise AttributeError
        except AttributeError:
            encoding = locale.getpreferredencoding()
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            self.is_utf8 = False
        else:
            self.is_utf8 = encoding == codecs.lookup("utf-8").name

    def format(self, record):
        fields = {"prefix": "", "suffix": ""}
        if getattr(record, "depth", 0) > 0:
            if record.msg.startswith("#"):
                prefix = (record.depth - 1) * "│" + "└"
            elif record.depth == 1:
                prefix = "┬"
            else:
                prefix = (record.depth - 2) * "│" + "├┬"
            if not self.is_utf8:
                prefix = prefix.translate(ASCII_MAP) + "-"
            fields["prefix"] = prefix + " "
        if getattr(record, "size", None) is not None and record.size >= 1:
            power = int(math.log(record.size, 2)) // 10
            size = record.size >> power * 10
            fields["suffix"] = " [%d %sB]" % (size, "KMGTP"[power] + "i" if power else "")
        vars(record).update(fields)
        return super().format(record)


#: The ``logging`` logger of ``anethum.dill``.
logger = logging.getLogger("anethum.dill")
logger.propagate = False
#: The adapter with ``trace(pickler, msg, *args)``.
adapter = TraceAdapter(logger)
stderr_handler = logging._StderrHandler()
adapter.addHandler(stderr_handler)


def trace(arg=None, *, mode="a"):
    """Turn the pickling trace on (``trace(True)``) or off (``trace(False)``).

    With no argument, or a file (object or path) and ``mode``, return a
    context manager that traces inside its ``with`` block (into that file)
    and yields a log function; the level is restored on exit.
    """
    if repr(arg) not in ("False", "True"):
        return TraceManager(file=arg, mode=mode)
    logger.setLevel(logging.INFO if arg else logging.WARNING)


class TraceManager(contextlib.AbstractContextManager):
    """Context manager version of ``trace()``; can redirect to a file."""

    def __init__(self, file, mode):
        self.file = file
        self.mode = mode
        self.redirect = file is not None
        self.file_is_stream = hasattr(file, "write")

    def __enter__(self):
        if self.redirect:
            stderr_handler.flush()
            if self.file_is_stream:
                self.handler = logging.StreamHandler(self.file)
            else:
                self.handler = logging.FileHandler(os.fspath(self.file), self.mode)
            adapter.removeHandler(stderr_handler)
            adapter.addHandler(self.handler)
        self.old_level = adapter.getEffectiveLevel()
        adapter.setLevel(logging.INFO)
        return adapter.info

    def __exit__(self, *exc_info):
        adapter.setLevel(self.old_level)
        if self.redirect:
            adapter.removeHandler(self.handler)
            adapter.addHandler(stderr_handler)
            if not self.file_is_stream:
                self.handler.close()


trace(False)
