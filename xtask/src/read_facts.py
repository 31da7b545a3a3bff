"""Print, as JSON, the facts anethum's generator needs from this interpreter.

Run by `cargo xtask gen --refresh-facts`; must work on every supported
CPython (3.9+), with the standard library only.
"""

import dis
import inspect
import json
import pickle
import pickletools
import re
import sys
import types


def code_constructor():
    """Parameter names of types.CodeType(...) in order, and how many are required."""
    try:
        params = list(inspect.signature(types.CodeType).parameters.values())
        names = [p.name for p in params]
        required = sum(1 for p in params if p.default is inspect.Parameter.empty)
        return names, required
    except (TypeError, ValueError):
        pass
    # 3.9 has no text signature; its docstring reads
    # "code(argcount, ..., lnotab[, freevars[, cellvars]])".
    doc = types.CodeType.__doc__
    inner = re.match(r"code\((.*?)\)\s*$", doc, re.S | re.M).group(1)
    required_part, _, optional_part = inner.partition("[")
    split = lambda s: [w for w in re.split(r"[\s,\[\]]+", s) if w]
    required = split(required_part)
    return required + split(optional_part), len(required)


def inline_cache_entries():
    entries = getattr(dis, "_inline_cache_entries", None)
    if entries is None:
        return None
    if hasattr(entries, "items"):  # 3.13+: name -> count (3.15: a frozendict, not a dict)
        items = entries.items()
    else:  # 3.11, 3.12: list indexed by opcode
        items = ((dis.opname[op], n) for op, n in enumerate(entries))
    return {name: n for name, n in items if n and not name.startswith("<")}


def hasarg(opmap):
    if hasattr(dis, "hasarg"):
        by_code = {code: name for name, code in opmap.items()}
        return sorted(by_code[op] for op in dis.hasarg if op in by_code)
    return sorted(name for name, code in opmap.items() if code >= dis.HAVE_ARGUMENT)


def main():
    opmap = dict(dis.opmap)
    constructor_fields, constructor_required = code_constructor()
    facts = {
        "python": {"version": list(sys.version_info[:3])},
        "pickle": {
            "highest_protocol": pickle.HIGHEST_PROTOCOL,
            "default_protocol": pickle.DEFAULT_PROTOCOL,
            "opcodes": {
                op.name: {"code": ord(op.code), "proto": op.proto}
                for op in pickletools.opcodes
            },
        },
        "bytecode": {
            "have_argument": dis.HAVE_ARGUMENT,
            "hasarg": hasarg(opmap),
            "opmap": opmap,
            "inline_cache_entries": inline_cache_entries(),
        },
        "code": {
            "constructor_fields": constructor_fields,
            "constructor_required": constructor_required,
            "attributes": sorted(a for a in dir(types.CodeType) if a.startswith("co_")),
        },
    }
    json.dump(facts, sys.stdout, sort_keys=True)


main()
