"""Type stubs for ``anethum._session`` (dump_module and friends)."""

import os
import pickle
from types import ModuleType
from typing import IO, Any, Dict, Optional, Union

_Path = Union[str, "os.PathLike[str]", "os.PathLike[bytes]"]

class PicklingWarning(UserWarning, pickle.PickleError): ...

def dump_module(
    filename: Union[_Path, IO[bytes], None] = None,
    module: Optional[Union[ModuleType, str]] = None,
    refimported: bool = False,
    refonfail: bool = False,
    **kwds: Any,
) -> None: ...
def dump_session(
    filename: Union[_Path, IO[bytes], None] = None,
    main: Optional[Union[ModuleType, str]] = None,
    byref: bool = False,
    **kwds: Any,
) -> None: ...
def load_module(
    filename: Union[_Path, IO[bytes], None] = None,
    module: Optional[Union[ModuleType, str]] = None,
    **kwds: Any,
) -> Optional[ModuleType]: ...
def load_session(
    filename: Union[_Path, IO[bytes], None] = None,
    main: Optional[Union[ModuleType, str]] = None,
    **kwds: Any,
) -> None: ...
def load_module_asdict(
    filename: Union[_Path, IO[bytes], None] = None,
    update: bool = False,
    **kwds: Any,
) -> Dict[str, Any]: ...
