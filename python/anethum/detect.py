"""Find what fails to pickle, and why; trace what a pickle is made of.

The same API as ``dill.detect``, on anethum's pickler: ``baditems``,
``badobjects``, ``badtypes`` and ``errors`` try ``anethum.dumps`` and
``pickle.loads``; ``globalvars``, ``freevars``, ``nestedglobals``... look at
code objects; ``parent``, ``parents``, ``children``, ``reference`` and ``at``
walk the garbage collector's reference graph; ``trace`` prints, for each
pickle anethum writes, the tree of objects in it with the bytes each took.

Most of this module is adapted from dill (``dill/detect.py`` and
``dill/pointers.py``, by Mike McKerns), under dill's license:

    Copyright (c) 2004-2016 California Institute of Technology.
    Copyright (c) 2016-2026 The Uncertainty Quantification Foundation.
    All rights reserved.  3-clause BSD; the full text is at
    https://github.com/uqfoundation/dill/blob/master/LICENSE

``find_chain`` is from objgraph (http://mg.pov.lt/objgraph/), MIT licensed:
Copyright (c) 2008-2010 Marius Gedminas, Copyright (c) 2010 Stefano Rivera.

``trace`` is anethum's own: it reads the tree back out of the pickle
stream (see ``trace`` for how, and its limits).
"""

import builtins
import contextlib
import dis
import gc
import io
import os
import pickle
import sys
from inspect import iscode, isframe, isfunction, ismethod, istraceback

__all__ = ['baditems', 'badobjects', 'badtypes', 'code', 'errors', 'freevars',
           'getmodule', 'globalvars', 'nestedcode', 'nestedglobals',
           'outermost', 'referredglobals', 'referrednested', 'trace',
           'varnames', 'parent', 'parents', 'children', 'reference', 'at',
           'pickles', 'copy', 'trace_dumps', 'format_trace', 'tracing']


# ---------------------------------------------------------------------------
# pickling checks (dill.pickles / dill.copy, on anethum)

def copy(obj, *args, **kwds):
    """Copy ``obj`` by pickling it with anethum and loading it with pickle.

    Positional and keyword arguments go to ``anethum.dumps``.
    """
    import anethum
    return pickle.loads(anethum.dumps(obj, *args, **kwds))


def pickles(obj, exact=False, safe=False, **kwds):
    """Quick check whether ``obj`` pickles with anethum (dill.pickles).

    If ``exact=True``, the reconstructed object must also compare equal to
    ``obj``.  If ``safe=True``, any exception while copying means "does not
    pickle"; otherwise only pickling errors (TypeError, AssertionError,
    NotImplementedError, PicklingError, UnpicklingError) are caught and
    other exceptions propagate.  Keyword arguments go to ``anethum.dumps``.
    """
    if safe:
        exceptions = (Exception,)
    else:
        exceptions = (TypeError, AssertionError, NotImplementedError,
                      pickle.PicklingError, pickle.UnpicklingError)
    try:
        pik = copy(obj, **kwds)
        try:
            result = bool(pik.all() == obj.all())
        except (AttributeError, TypeError):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                result = pik == obj
        if hasattr(result, 'toarray'):  # sparse matrices and such
            result = result.toarray().all()
        if result:
            return True
        if not exact:
            if type(pik) == type(obj):
                return True
            # a class pickled by value comes back as an equivalent class
            return repr(type(pik)) == repr(type(obj))
        return False
    except exceptions:
        return False


def baditems(obj, exact=False, safe=False):
    """Get the items of ``obj`` that fail to pickle.

    For an iterable, the items (a mapping's values) that fail; for anything
    else, ``[obj]`` if it fails and ``[]`` if it pickles.
    """
    if not hasattr(obj, '__iter__'):  # is not iterable
        return [j for j in (badobjects(obj, 0, exact, safe),) if j is not None]
    obj = obj.values() if getattr(obj, 'values', None) else obj
    _obj = []  # can't use a set, as items may be unhashable
    for i in obj:
        if i not in _obj:
            _obj.append(badobjects(i, 0, exact, safe))
    return [j for j in _obj if j is not None]


def badobjects(obj, depth=0, exact=False, safe=False):
    """Get the objects that fail to pickle.

    With ``depth=0``, ``obj`` itself if it fails, else None.  With a
    positive depth, a dict ``{attribute: badobjects(value, depth-1)}`` for
    the attributes of ``obj`` (from ``dir``) that fail to pickle.
    """
    if not depth:
        if pickles(obj, exact, safe):
            return None
        return obj
    return dict(((attr, badobjects(getattr(obj, attr), depth - 1, exact, safe))
                 for attr in dir(obj)
                 if not pickles(getattr(obj, attr), exact, safe)))


def badtypes(obj, depth=0, exact=False, safe=False):
    """Get the types of the objects that fail to pickle.

    As ``badobjects``, with ``type(object)`` in place of each object.
    """
    if not depth:
        if pickles(obj, exact, safe):
            return None
        return type(obj)
    return dict(((attr, badtypes(getattr(obj, attr), depth - 1, exact, safe))
                 for attr in dir(obj)
                 if not pickles(getattr(obj, attr), exact, safe)))


def errors(obj, depth=0, exact=False, safe=False):
    """Get the exceptions raised when the objects fail to pickle.

    With ``depth=0``, the exception that copying ``obj`` raised (or an
    AssertionError if the copy has the wrong type, or with ``exact=True``
    is not equal), None if it copies.  With a positive depth, a dict
    ``{attribute: errors(value, depth-1)}`` for the attributes that fail.
    """
    if not depth:
        try:
            pik = copy(obj)
            if exact:
                assert pik == obj, \
                    "Unpickling produces %s instead of %s" % (pik, obj)
            assert type(pik) == type(obj), \
                "Unpickling produces %s instead of %s" % (type(pik), type(obj))
            return None
        except Exception:
            return sys.exc_info()[1]
    _dict = {}
    for attr in dir(obj):
        try:
            _attr = getattr(obj, attr)
        except Exception:
            _dict[attr] = sys.exc_info()[1]
            continue
        if not pickles(_attr, exact, safe):
            _dict[attr] = errors(_attr, depth - 1, exact, safe)
    return _dict


# ---------------------------------------------------------------------------
# code inspection

def getmodule(object, _filename=None, force=False):
    """Get the module of the object (``inspect.getmodule``).

    With ``force=True``, an object with no module whose name is a builtin's
    gives the ``builtins`` module.
    """
    from inspect import getmodule as getmod
    module = getmod(object, _filename)
    if module or not force:
        return module
    from .source import getname
    name = getname(object, force=True)
    return builtins if name in vars(builtins).keys() else None


def code(func):
    """Get the code object of a function, method, traceback or frame.

    A code object is returned as is; anything else gives None.
    """
    if ismethod(func):
        func = func.__func__
    if isfunction(func):
        func = func.__code__
    if istraceback(func):
        func = func.tb_frame
    if isframe(func):
        func = func.f_code
    if iscode(func):
        return func
    return None


def nestedcode(func, recurse=True):
    """Get the code objects of the functions nested in ``func``.

    Those are the code objects among its code's constants, and with
    ``recurse=True`` theirs too, as a list in no particular order.
    """
    func = code(func)
    if not iscode(func):
        return []
    nested = set()
    for co in func.co_consts:
        if co is None:
            continue
        co = code(co)
        if co:
            nested.add(co)
            if recurse:
                nested |= set(nestedcode(co, recurse=True))
    return list(nested)


def referrednested(func, recurse=True):
    """Get the functions defined inside ``func`` (inner functions, closures).

    They are found through the garbage collector, as the live functions (or
    methods, frames) whose code is one of ``nestedcode(func)``; so an inner
    function only exists once ``func`` has run and while it is alive.
    """
    funcs = set()
    for co in nestedcode(func, recurse):
        for obj in gc.get_referrers(co):
            _ = getattr(obj, '__func__', None)  # ismethod
            if getattr(_, '__code__', None) is co:
                funcs.add(obj)
            elif getattr(obj, '__code__', None) is co:
                funcs.add(obj)
            elif getattr(obj, 'f_code', None) is co:
                funcs.add(obj)
            elif hasattr(obj, 'co_code') and obj is co:
                funcs.add(obj)
    return list(funcs)


def freevars(func):
    """Get the objects from enclosing scopes that ``func`` refers to.

    Returns a dict ``{name: object}`` of its closure's non-empty cells.
    """
    if ismethod(func):
        func = func.__func__
    if not isfunction(func):
        return {}
    closures = func.__closure__ or ()
    result = {}
    for name, cell in zip(func.__code__.co_freevars, closures):
        try:
            result[name] = cell.cell_contents
        except ValueError:  # empty cell
            continue
    return result


def _global_names(co):
    """Names that the bytecode of ``co`` itself loads, stores or deletes as
    globals (LOAD_GLOBAL, STORE_GLOBAL, DELETE_GLOBAL, and from 3.12
    LOAD_FROM_DICT_OR_GLOBALS), not those of nested code."""
    names = set()
    try:
        instructions = list(dis.get_instructions(co))
    except Exception:  # malformed or foreign code objects
        return set(co.co_names)
    for ins in instructions:
        if '_GLOBAL' in ins.opname and isinstance(ins.argval, str):
            names.add(ins.argval)
    return names


def nestedglobals(func, recurse=True):
    """Get the names of the globals used by ``func`` and its nested code.

    As in dill (which reads ``dis.dis`` output, and ``dis.dis`` also
    disassembles nested code objects), nested functions' globals are
    included whatever ``recurse`` says.
    """
    func = code(func)
    if func is None:
        return list()
    names = set()
    stack = [func]
    seen = set()
    while stack:
        co = stack.pop()
        if id(co) in seen:
            continue
        seen.add(id(co))
        names |= _global_names(co)
        for const in co.co_consts:
            if iscode(const):
                stack.append(const)
    return list(names)


def referredglobals(func, recurse=True, builtin=False):
    """Get the names of the objects in the global scope that ``func`` refers
    to (the keys of ``globalvars``)."""
    return globalvars(func, recurse, builtin).keys()


def globalvars(func, recurse=True, builtin=False):
    """Get the objects defined in the global scope that ``func`` refers to.

    Returns a dict ``{name: object}``.  With ``recurse=True`` the globals of
    nested code, of closure contents and of the global functions it calls
    are included; with ``recurse=False`` only the names of its own code.
    With ``builtin=True`` builtins it uses are included too.
    Mutually recursive functions are handled (dill recurses forever).
    """
    return _globalvars(func, recurse, builtin, set())


def _globalvars(func, recurse, builtin, _seen):
    if ismethod(func):
        func = func.__func__
    if isfunction(func):
        if id(func) in _seen:
            return {}
        _seen.add(id(func))
        globs = vars(builtins).copy() if builtin else {}
        orig_func, func = func, set()
        for obj in orig_func.__closure__ or ():
            try:
                cell_contents = obj.cell_contents
            except ValueError:  # empty cell
                pass
            else:
                _vars = _globalvars(cell_contents, recurse, builtin, _seen) or {}
                func.update(_vars)
                globs.update(_vars)
        globs.update(orig_func.__globals__ or {})
        if not recurse:
            func.update(orig_func.__code__.co_names)
        else:
            func.update(nestedglobals(orig_func.__code__))
            for key in func.copy():
                nested_func = globs.get(key)
                if nested_func is orig_func:
                    continue
                func.update(_globalvars(nested_func, True, builtin, _seen))
    elif iscode(func):
        globs = vars(builtins).copy() if builtin else {}
        if not recurse:
            func = func.co_names
        else:
            orig_func = func.co_name
            func = set(nestedglobals(func))
            for key in func.copy():
                if key == orig_func:
                    continue
                nested_func = globs.get(key)
                func.update(_globalvars(nested_func, True, builtin, _seen))
    else:
        return {}
    return dict((name, globs[name]) for name in func if name in globs)


def varnames(func):
    """Get the names of the variables defined by ``func``.

    Returns ``(local variable names, names of locals used by nested
    functions)``, i.e. ``(co_varnames, co_cellvars)``; ``()`` for an object
    with no code.
    """
    func = code(func)
    if not iscode(func):
        return ()
    return func.co_varnames, func.co_cellvars


def outermost(func):
    """Get the outermost enclosing object (the outer function of a closure).

    It is the global of the function's module whose source block is the
    function's enclosing block: the object equivalent of
    ``anethum.source.getsource(func, enclosing=True)``.  None if not found.
    """
    if ismethod(func):
        _globals = func.__func__.__globals__ or {}
    elif isfunction(func):
        _globals = func.__globals__ or {}
    else:
        return None
    from .source import getsourcelines
    try:
        lines, lnum = getsourcelines(func, enclosing=True)
    except Exception:
        lines, lnum = [], None
    text = ''.join(lines)
    for name, obj in list(_globals.items()):
        if name not in text:
            continue
        try:
            if getsourcelines(obj) == (lines, lnum):
                return obj
        except Exception:
            pass
    return None


# ---------------------------------------------------------------------------
# pointers (dill.pointers)

def reference(obj):
    """Get the memory address of a weak proxy's referent (``id(obj)`` for
    anything that is not a proxy; ``id(None)`` for a dead proxy)."""
    _repr = repr(obj)
    try:
        _str = str(obj)
    except ReferenceError:  # a dead proxy
        return id(None)
    if _str == _repr:
        return id(obj)  # not a proxy
    try:
        address = int(_str.rstrip('>').split(' at ')[-1], base=16)
    except ValueError:  # special case: proxy of a 'type'
        try:
            address = int(_repr.rstrip('>').split(' at ')[-1], base=16)
        except ValueError:
            for _obj in gc.get_objects():
                if repr(_obj) == _str:
                    return id(_obj)
            raise ReferenceError(
                "Cannot reference object for proxy at '%s'" % id(obj))
    return address


def at(address, module=None):
    """Get the object at the given memory address (the inverse of ``id``).

    Searched among None, True, False and the objects the garbage collector
    tracks (or a module's globals); ReferenceError if not found.
    """
    for obj in (None, True, False):
        if address == id(obj):
            return obj
    if module:
        objects = iter(module.__dict__.values())
    else:
        objects = iter(gc.get_objects())
    for obj in objects:
        if address == id(obj):
            return obj
    try:
        address = hex(address)
    except TypeError:
        raise TypeError("'%s' is not a valid memory address" % str(address))
    raise ReferenceError("Cannot reference object at '%s'" % address)


def parent(obj, objtype, ignore=()):
    """Get the nearest object of type ``objtype`` that ``obj`` refers to.

    >>> listiter = iter([4,5,6,7])
    >>> obj = parent(listiter, list)
    >>> obj == [4,5,6,7]  # actually 'is', but don't have handle any longer
    True

    ``objtype`` may be a type or a tuple of types.  None if not found.
    If ``obj`` is a sequence, the result may be surprising: one referent
    (e.g. its last member) is found.
    """
    chain = parents(obj, objtype, 1, ignore)
    found = chain.pop()
    if found is obj:
        return None
    return found


def parents(obj, objtype, depth=1, ignore=()):
    """Find the chain of referents from ``obj`` to an ``objtype``: a list
    that starts with ``obj`` and ends with the object found (or is
    ``[obj]``).  (dill's docstring says it ends with obj; it does not.)

    objtype: a type or tuple of types to search for
    depth: search depth (e.g. depth=2 is 'grandparents')
    ignore: an object or tuple of objects to ignore (unused, as in dill)
    """
    edge_func = gc.get_referents
    predicate = lambda x: isinstance(x, objtype)  # noqa: E731
    chain = find_chain(obj, predicate, edge_func, depth)[::-1]
    return chain


def children(obj, objtype, depth=1, ignore=()):
    """Find the chain of referrers from ``obj`` to an ``objtype``: a list
    that starts with the object found and ends with ``obj`` (or is
    ``[obj]``).  (dill's docstring says it starts with obj; it does not.)

    objtype: a type or tuple of types to search for
    depth: search depth (e.g. depth=2 is 'grandchildren')
    ignore: an object or tuple of objects to ignore in the search
    (a common thing to ignore is the globals: ``ignore=(globals(),)``)
    """
    edge_func = gc.get_referrers
    predicate = lambda x: isinstance(x, objtype)  # noqa: E731
    ignore = (ignore,) if not hasattr(ignore, '__len__') else ignore
    ignore = [id(o) for o in ignore]
    chain = find_chain(obj, predicate, edge_func, depth, ignore)
    return chain


def find_chain(obj, predicate, edge_func, max_depth=20, extra_ignore=()):
    """Breadth-first search from ``obj`` along ``edge_func`` for an object
    satisfying ``predicate``; returns the chain, found object first, or
    ``[obj]`` (from objgraph)."""
    queue = [obj]
    depth = {id(obj): 0}
    parent = {id(obj): None}
    ignore = set(extra_ignore)
    ignore.add(id(extra_ignore))
    ignore.add(id(queue))
    ignore.add(id(depth))
    ignore.add(id(parent))
    ignore.add(id(ignore))
    ignore.add(id(sys._getframe()))   # this function
    ignore.add(id(sys._getframe(1)))  # parents/children
    gc.collect()
    while queue:
        target = queue.pop(0)
        if predicate(target):
            chain = [target]
            while parent[id(target)] is not None:
                target = parent[id(target)]
                chain.append(target)
            return chain
        tdepth = depth[id(target)]
        if tdepth < max_depth:
            referrers = edge_func(target)
            ignore.add(id(referrers))
            for source in referrers:
                if id(source) in ignore:
                    continue
                if id(source) not in depth:
                    depth[id(source)] = tdepth + 1
                    parent[id(source)] = target
                    queue.append(source)
    return [obj]  # not found


refobject = at  # dill's backward-compatible name


# ---------------------------------------------------------------------------
# trace
#
# anethum's Rust pickler has no per-object hook that reports the bytes it
# writes, but the pickle stream is a postfix program whose stack structure
# is the object tree: running it symbolically (without building anything)
# gives, for each object, the exact span of bytes that built it.  The
# Pickler's memo, read after the dump, maps every memoized object to the
# index its PUT/MEMOIZE gave it, which names those nodes with the real
# objects; atoms are named from their opcode's argument.

_MEMO_PUT = {'PUT', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE'}
_MEMO_GET = {'GET', 'BINGET', 'LONG_BINGET'}
_FROM_MARK_NEW = {'TUPLE', 'LIST', 'DICT', 'FROZENSET', 'INST', 'OBJ'}
_FROM_MARK_ADD = {'APPENDS', 'SETITEMS', 'ADDITEMS'}
_NEW_FROM = {'TUPLE1': 1, 'TUPLE2': 2, 'TUPLE3': 3, 'REDUCE': 2,
             'NEWOBJ': 2, 'NEWOBJ_EX': 3, 'STACK_GLOBAL': 2, 'BINPERSID': 1}
_ADD_TO_TOP = {'APPEND': 1, 'SETITEM': 2, 'BUILD': 1}
_GLOBAL_OPS = {'GLOBAL', 'STACK_GLOBAL', 'EXT1', 'EXT2', 'EXT4'}
# atoms: opcodes that push a value given by their argument
_ATOM_TYPES = {
    'NONE': 'NoneType', 'NEWTRUE': 'bool', 'NEWFALSE': 'bool',
    'INT': 'int', 'BININT': 'int', 'BININT1': 'int', 'BININT2': 'int',
    'LONG': 'int', 'LONG1': 'int', 'LONG4': 'int',
    'FLOAT': 'float', 'BINFLOAT': 'float',
    'STRING': 'str', 'BINSTRING': 'str', 'SHORT_BINSTRING': 'str',
    'UNICODE': 'str', 'BINUNICODE': 'str', 'SHORT_BINUNICODE': 'str',
    'BINUNICODE8': 'str', 'BINBYTES': 'bytes', 'SHORT_BINBYTES': 'bytes',
    'BINBYTES8': 'bytes',
}
_EMPTY_TYPES = {'EMPTY_DICT': 'dict', 'EMPTY_LIST': 'list',
                'EMPTY_TUPLE': 'tuple', 'EMPTY_SET': 'set',
                'BYTEARRAY8': 'bytearray', 'TUPLE': 'tuple', 'TUPLE1': 'tuple',
                'TUPLE2': 'tuple', 'TUPLE3': 'tuple', 'LIST': 'list',
                'DICT': 'dict', 'FROZENSET': 'frozenset'}


class _Node(object):
    __slots__ = ('op', 'arg', 'start', 'end', 'children', 'frame_bytes',
                 'key', 'memo', 'hidden')

    def __init__(self, op, arg, start, end):
        self.op = op
        self.arg = arg
        self.start = start
        self.end = end
        self.children = []
        self.frame_bytes = 0
        self.key = None     # for a dict value: the key's node
        self.memo = None    # memo index it was stored at, or fetched from
        self.hidden = False

    @property
    def size(self):
        return self.end - self.start - self.frame_bytes


class _Mark(object):
    __slots__ = ('pos',)

    def __init__(self, pos):
        self.pos = pos


def _parse(data):
    """Run the pickle ``data`` symbolically; return (root node, protocol)."""
    import pickletools
    ops = list(pickletools.genops(data))
    stack = []
    frames = []   # (start, end) of FRAME opcodes, not counted in sizes
    # popped by POP/POP_MARK: a recursive tuple's items, which the GET of
    # the tuple that follows adopts; else they belong to the object below
    # (a state_setter call, written after its object)
    orphans = []
    orphan_start = None  # where they, and the MARK popped with them, begin
    orphan_end = 0       # the end of the last POP
    memo_len = 0
    put_at = {}  # memo index -> where it was stored
    proto = max([opcode.proto for opcode, _, _ in ops] or [0])
    for i, (opcode, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(data)
        name = opcode.name
        if orphans and name in _MEMO_GET and \
                put_at.get(arg, -1) >= orphan_start:
            pass  # the recursive tuple: the GET below adopts its items
        elif orphans and name not in ('POP', 'POP_MARK', 'FRAME'):
            top = stack[-1] if stack else None
            if isinstance(top, _Node):
                top.children.extend(orphans)
                top.end = max(top.end, orphan_end)
            orphans, orphan_start = [], None
        if name == 'PROTO':
            proto = arg
        elif name == 'FRAME':
            frames.append((pos, end))
        elif name == 'STOP':
            break
        elif name == 'MARK':
            stack.append(_Mark(pos))
        elif name in _MEMO_PUT:
            index = memo_len if name == 'MEMOIZE' else arg
            memo_len = max(memo_len, index + 1)
            put_at[index] = pos
            if stack and isinstance(stack[-1], _Node):
                stack[-1].end = end
                if stack[-1].memo is None:
                    stack[-1].memo = index
        elif name in _MEMO_GET:
            node = _Node(name, arg, pos, end)
            node.memo = arg
            if orphans:
                node.children, orphans = orphans, []
                node.start, orphan_start = orphan_start, None
            stack.append(node)
        elif name == 'POP':
            item = stack.pop()
            if isinstance(item, _Node):
                orphans.insert(0, item)
                start = item.start
            else:
                start = item.pos
            if orphan_start is None or start < orphan_start:
                orphan_start = start
            orphan_end = end
        elif name == 'POP_MARK':
            while stack and not isinstance(stack[-1], _Mark):
                orphans.insert(0, stack.pop())
            start = stack.pop().pos if stack else pos
            if orphans:
                start = min(start, orphans[0].start)
            if orphan_start is None or start < orphan_start:
                orphan_start = start
            orphan_end = end
        elif name in _FROM_MARK_NEW or name in _FROM_MARK_ADD:
            items = []
            while stack and not isinstance(stack[-1], _Mark):
                items.insert(0, stack.pop())
            mark = stack.pop() if stack else _Mark(pos)
            if name in _FROM_MARK_NEW:
                node = _Node(name, arg, mark.pos, end)
                node.children = items
                stack.append(node)
            else:
                target = stack[-1]
                if name == 'SETITEMS':
                    _pair_keys(items)
                target.children.extend(items)
                target.end = end
        elif name in _NEW_FROM:
            n = _NEW_FROM[name]
            items = stack[-n:]
            del stack[-n:]
            node = _Node(name, arg, items[0].start, end)
            node.children = items
            stack.append(node)
        elif name in _ADD_TO_TOP:
            n = _ADD_TO_TOP[name]
            items = stack[-n:]
            del stack[-n:]
            if name == 'SETITEM':
                _pair_keys(items)
            stack[-1].children.extend(items)
            stack[-1].end = end
        elif name == 'READONLY_BUFFER':
            stack[-1].end = end
        else:
            # everything else (atoms, EMPTY_*, GLOBAL, DUP, NEXT_BUFFER...)
            # pushes one new object
            stack.append(_Node(name, arg, pos, end))
    nodes = [item for item in stack if isinstance(item, _Node)]
    root = nodes[-1] if nodes else _Node('EMPTY', None, 0, 0)
    if frames:
        _subtract_frames(root, frames)
    return root, proto


def _pair_keys(items):
    for k in range(0, len(items) - 1, 2):
        items[k + 1].key = items[k]


def _subtract_frames(root, frames):
    todo = [root]
    while todo:
        node = todo.pop()
        node.frame_bytes = sum(min(e, node.end) - max(s, node.start)
                               for s, e in frames
                               if s < node.end and e > node.start)
        todo.extend(node.children)


def _typename(obj):
    t = type(obj)
    mod = getattr(t, '__module__', None)
    name = getattr(t, '__qualname__', t.__name__)
    if mod in (None, 'builtins'):
        return name
    return '%s.%s' % (mod, name)


def _short(text, width=60):
    text = text.replace('\n', '\\n')
    return text if len(text) <= width else text[:width - 3] + '...'


def _safe_repr(obj):
    try:
        return repr(obj)
    except Exception as exc:  # a broken __repr__ must not break the trace
        return '<%s object (repr failed: %s)>' % (
            _typename(obj), type(exc).__name__)


def _global_name(node):
    if node.op == 'GLOBAL':
        return str(node.arg).replace(' ', '.')
    if node.op == 'STACK_GLOBAL' and len(node.children) == 2:
        return '%s.%s' % tuple(c.arg for c in node.children)
    return None


def _describe(node, memo):
    """'type: repr' of the object the node builds."""
    if node.memo is not None and node.memo in memo:
        obj = memo[node.memo]
        return '%s: %s' % (_typename(obj), _short(_safe_repr(obj)))
    op = node.op
    if op in _ATOM_TYPES:
        value = node.arg
        if op == 'NONE':
            value = None
        elif op in ('NEWTRUE', 'NEWFALSE'):
            value = op == 'NEWTRUE'
        return '%s: %s' % (_ATOM_TYPES[op], _short(repr(value)))
    if op == 'NEXT_BUFFER':
        return 'buffer: out of band (buffer_callback)'
    name = _global_name(node)
    if name is not None:
        return 'global: %s' % name
    if op in _EMPTY_TYPES:
        n = len(node.children)
        if op in ('EMPTY_DICT', 'DICT'):
            n = sum(1 for child in node.children if child.key is not None)
        if n == 0 and op == 'EMPTY_TUPLE':
            return 'tuple: ()'
        return '%s: %d item%s' % (_EMPTY_TYPES[op], n, '' if n == 1 else 's')
    if op == 'INST':
        return 'instance: %s(...)' % str(node.arg).replace(' ', '.')
    if op in ('REDUCE', 'NEWOBJ', 'NEWOBJ_EX', 'OBJ') and node.children:
        return 'reduce: %s(...)' % _short(_callee(node.children[0], memo), 50)
    return op if node.arg is None else '%s %s' % (op, _short(repr(node.arg), 40))


def _callee(node, memo):
    if node.memo is not None and node.memo in memo:
        obj = memo[node.memo]
        name = getattr(obj, '__qualname__', None)
        mod = getattr(obj, '__module__', None)
        if isinstance(name, str):
            return '%s.%s' % (mod, name) if mod else name
        return _short(_safe_repr(obj), 50)
    return _global_name(node) or node.op


def _label(node, memo):
    label = _describe(node, memo)
    if node.op in _MEMO_GET:
        label += ' (memo)'
    elif node.op in _GLOBAL_OPS:
        label += ' (global)'
    if node.key is not None and node.key.hidden:
        key = node.key
        if key.memo is not None and key.memo in memo:
            text = _safe_repr(memo[key.memo])
        else:
            text = _describe(key, memo).split(': ', 1)[-1]
        label = '[%s] %s' % (_short(text, 30), label)
    return label


def _size(n):
    if n < 1024:
        return '%d B' % n
    for unit in ('KiB', 'MiB', 'GiB', 'TiB'):
        n /= 1024.0
        if n < 1024:
            break
    return '%.1f %s' % (n, unit)


_UNICODE_TREE = ('\u251c\u2500\u2500 ', '\u2514\u2500\u2500 ',
                 '\u2502   ', '    ')
_ASCII_TREE = ('|-- ', '`-- ', '|   ', '    ')


_ATOM_CLASSES = (type(None), bool, int, float, complex, str, bytes)


def _hide(root, atoms, memo):
    todo = [root]
    while todo:
        node = todo.pop()
        if node.op == 'STACK_GLOBAL':
            for child in node.children:
                child.hidden = True
        elif node is not root and not atoms and not node.children and (
                node.op in _ATOM_TYPES or (
                    node.op in _MEMO_GET and node.memo in memo
                    and type(memo[node.memo]) in _ATOM_CLASSES)):
            node.hidden = True
        todo.extend(node.children)


def format_trace(data, memo=None, atoms=False, ascii=False, protocol=None):
    """Format the object tree of the pickle ``data`` as a list of lines.

    The first line gives the pickle's size and protocol; then one line per
    object, indented as a tree under the object that contains it, with
    its type, a short repr and, in brackets, the bytes of the pickle that
    build it (its children included).  ``memo`` maps memo indices to the
    objects stored there (``{index: obj}``, from the Pickler's memo); without
    it, memoized objects are named by pickle opcodes.  Atoms (None, bools,
    numbers, str, bytes) are hidden unless ``atoms=True``, and a dict value
    is shown with its key.  ``ascii=True`` draws the tree in ASCII.
    The header gives ``protocol`` if given, else the PROTO opcode's, or
    for a pickle without one (protocols 0 and 1) the lowest protocol that
    has all its opcodes.
    """
    memo = memo or {}
    root, proto = _parse(data)
    _hide(root, atoms, memo)
    tee, last, bar, blank = _ASCII_TREE if ascii else _UNICODE_TREE
    if protocol is not None:
        proto = protocol
    lines = ['pickle: %s, protocol %d' % (_size(len(data)), proto)]
    todo = [(root, '', '')]
    while todo:
        node, head, tail = todo.pop()
        lines.append('%s%s [%s]' % (head, _label(node, memo), _size(node.size)))
        shown = [c for c in node.children if not c.hidden]
        for k in range(len(shown) - 1, -1, -1):
            if k == len(shown) - 1:
                todo.append((shown[k], tail + last, tail + blank))
            else:
                todo.append((shown[k], tail + tee, tail + bar))
    return lines


def trace_dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None,
                by_value=True, file=None, atoms=False):
    """Pickle ``obj`` like ``anethum.dumps`` and write its trace.

    Returns the same bytes as ``anethum.dumps(obj, protocol, ...)``.  The
    trace (see ``format_trace``) goes to ``file``, or to where ``trace``
    currently sends it (stderr by default).  If pickling fails, a line
    ``pickle failed: ...`` with the error and the path to the object that
    failed (anethum's note on the exception) is written instead, and the
    exception propagates.
    """
    from ._anethum import DEFAULT_PROTOCOL, HIGHEST_PROTOCOL, Pickler
    buf = io.BytesIO()
    p = Pickler(buf, protocol, fix_imports, buffer_callback, by_value=by_value)
    out = file if file is not None else (_state['stream'] or sys.stderr)
    try:
        p.dump(obj)
    except Exception as exc:
        # anethum's errors carry the path to the failing object as a note
        lines = ['pickle failed: %s: %s' % (type(exc).__name__, exc)]
        lines += ['  %s' % note for note in getattr(exc, '__notes__', ())]
        out.write('\n'.join(lines) + '\n')
        raise
    memo = dict(p.memo.copy().values())
    data = buf.getvalue()
    try:
        if protocol is None:
            protocol = DEFAULT_PROTOCOL
        elif protocol < 0:
            protocol = HIGHEST_PROTOCOL
        lines = format_trace(data, memo, atoms=atoms or _state['atoms'],
                             ascii=not _is_utf8(out), protocol=protocol)
    except Exception as exc:  # a stream this reader does not follow
        lines = ['pickle: %s (no trace: %s: %s)' % (
            _size(len(data)), type(exc).__name__, exc)]
    out.write('\n'.join(lines) + '\n')
    try:
        out.flush()
    except Exception:
        pass
    return data


def _is_utf8(stream):
    import codecs
    if isinstance(stream, io.StringIO):
        return True  # text in memory: no encoding to worry about
    encoding = getattr(stream, 'encoding', None)
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name == 'utf-8'
    except LookupError:
        return False


_state = {'enabled': False, 'stream': None, 'atoms': False, 'saved': None}


def _traced_dumps(obj, protocol=None, *, fix_imports=True,
                  buffer_callback=None, by_value=True):
    return trace_dumps(obj, protocol, fix_imports=fix_imports,
                       buffer_callback=buffer_callback, by_value=by_value)


def _traced_dump(obj, file, protocol=None, *, fix_imports=True,
                 buffer_callback=None, by_value=True):
    file.write(trace_dumps(obj, protocol, fix_imports=fix_imports,
                           buffer_callback=buffer_callback, by_value=by_value))


def _enable(on):
    import anethum
    if on and not _state['enabled']:
        _state['saved'] = (anethum.dumps, anethum.dump)
        anethum.dumps, anethum.dump = _traced_dumps, _traced_dump
        _state['enabled'] = True
    elif not on and _state['enabled']:
        anethum.dumps, anethum.dump = _state['saved']
        _state['saved'] = None
        _state['enabled'] = False


def tracing():
    """True while ``trace`` is on (so a dumps of anethum's other modules can
    call ``trace_dumps`` itself)."""
    return _state['enabled']


def trace(arg=None, *, mode='a', atoms=False):
    """Print the tree of what is pickled, for each pickle anethum writes.

    ``trace(True)`` turns tracing on, ``trace(False)`` off.  While it is on,
    ``anethum.dumps`` and ``anethum.dump`` (looked up on the ``anethum``
    module) write to stderr, for each pickle, an indented tree: one line per
    object with its type, repr and the bytes of the pickle that build it
    (its children included), e.g.::

        pickle: 34 B, protocol 4
        dict: {'a': 42, 'b': {'x': None}} [22 B]
        └── ['b'] dict: {'x': None} [8 B]

    Atoms (None, bools, numbers, str, bytes) are folded into their parent
    unless ``atoms=True``.

    Called with no argument, a file object or a file name (and ``mode``),
    ``trace`` returns a context manager that traces inside the ``with``
    block, to that file if given, and yields a function ``log(msg, *args)``
    that writes a line into the trace::

        >>> with anethum.detect.trace() as log:
        ...     log("> D = %r", D)
        ...     anethum.dumps(D)

    How it works, and its limits: the pickle is written by anethum's own
    Pickler (the bytes are those of ``anethum.dumps``); then the stream is
    run symbolically, which gives each object's exact byte span, and the
    Pickler's memo names the memoized objects.  So sizes are exact and the
    tree is the one in the pickle, including the helpers anethum writes to
    rebuild objects by value.  Only ``anethum.dumps``/``anethum.dump`` as
    attributes of the ``anethum`` module are traced (not a Pickler you
    build, nor a ``dumps`` imported by name before tracing began), and a
    pickle is printed once written: a failing pickle prints only the error
    and the path to what failed (``when pickling <dict ...>: obj['a'][1]``).
    """
    if repr(arg) not in ('False', 'True'):
        return _TraceManager(arg, mode, atoms)
    _state['atoms'] = bool(atoms)
    _enable(bool(arg))
    return None


class _TraceManager(contextlib.AbstractContextManager):
    """The context-manager form of ``trace``."""

    def __init__(self, file, mode, atoms):
        self.file = file
        self.mode = mode
        self.atoms = atoms
        self.opened = None

    def __enter__(self):
        self.old = (_state['enabled'], _state['stream'], _state['atoms'])
        stream = None
        if self.file is not None:
            if hasattr(self.file, 'write'):
                stream = self.file
            else:
                self.opened = stream = open(os.fspath(self.file), self.mode,
                                            encoding='utf-8')
        _state['stream'] = stream
        _state['atoms'] = bool(self.atoms)
        _enable(True)

        def log(msg, *args):
            out = _state['stream'] or sys.stderr
            out.write((msg % args if args else str(msg)) + '\n')
        return log

    def __exit__(self, *exc_info):
        enabled, _state['stream'], _state['atoms'] = self.old
        _enable(enabled)
        if self.opened is not None:
            self.opened.close()
        return None
