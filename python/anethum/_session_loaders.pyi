"""Type stubs for ``anethum._session_loaders`` (part of the pickle format)."""

from types import CodeType, FunctionType, ModuleType
from typing import Any, Dict, Iterable, Optional, Tuple

FORMAT_VERSION: int

def _set_target(module: Optional[ModuleType]) -> Optional[ModuleType]: ...
def session_module(name: str, imported: bool) -> ModuleType: ...
def session_module_setstate(
    module: ModuleType, state: Tuple[Dict[str, Any], Iterable[str]]
) -> ModuleType: ...
def make_function(
    code: CodeType,
    globals: Dict[str, Any],
    name: Optional[str],
    argdefs: Optional[Tuple[Any, ...]],
    closure: Optional[Tuple[Any, ...]],
) -> FunctionType: ...
def function_setstate(
    func: FunctionType, state: Tuple[Dict[str, Any], Dict[str, Any]]
) -> None: ...
def import_attribute(module_name: str, qualname: Optional[str]) -> Any: ...
