"""Type stubs for the Rust extension module ``anethum._anethum``."""

from typing import Any, Callable, Iterable, Mapping, Optional, Protocol, Union

from pickle import PickleBuffer

HIGHEST_PROTOCOL: int
DEFAULT_PROTOCOL: int

class _WritableFileobj(Protocol):
    def write(self, data: bytes, /) -> Any: ...

_BufferCallback = Optional[Callable[[PickleBuffer], Any]]
_ReducedType = Union[str, tuple[Any, ...]]

def dumps(
    obj: Any,
    protocol: Optional[int] = None,
    *,
    fix_imports: bool = True,
    buffer_callback: _BufferCallback = None,
    by_value: bool = True,
) -> bytes: ...
def dump(
    obj: Any,
    file: _WritableFileobj,
    protocol: Optional[int] = None,
    *,
    fix_imports: bool = True,
    buffer_callback: _BufferCallback = None,
    by_value: bool = True,
) -> None: ...
def _dill_dumps(
    obj: Any,
    protocol: Optional[int],
    fmode: int,
    byref: bool,
    recurse: bool,
    *,
    fix_imports: bool = True,
    buffer_callback: _BufferCallback = None,
) -> bytes: ...
def _set_side_pickle_reuse(enabled: bool, /) -> bool: ...
def _panic_for_tests(message: str, /) -> None: ...

_LOADER_HELPERS: tuple[str, ...]

class PicklerMemoProxy:
    def clear(self) -> None: ...
    def copy(self) -> dict[int, tuple[int, Any]]: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

class Pickler:
    fast: int
    bin: int
    memo: Union[PicklerMemoProxy, dict[int, tuple[int, Any]]]
    persistent_id: Callable[[Any], Any]
    dispatch_table: Mapping[type, Callable[[Any], _ReducedType]]
    def __init__(
        self,
        file: _WritableFileobj,
        protocol: Optional[int] = None,
        fix_imports: bool = True,
        buffer_callback: _BufferCallback = None,
        *,
        by_value: bool = True,
    ) -> None: ...
    def dump(self, obj: Any, /) -> None: ...
    def clear_memo(self) -> None: ...
    def __sizeof__(self) -> int: ...
