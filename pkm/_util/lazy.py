"""Names a package exports but imports only when first asked for (PEP 562)."""

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    namespace: MutableMapping[str, Any], modules: Mapping[str, str]
) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `modules[name]` the first time `name` is asked for
    and keeps what it found in `namespace` (the module's globals), so it is looked up once.

    For packages whose every module imports the package first (`pkm.seek`, `pkm.models`):
    re-exporting eagerly made each of them load everything the package offers."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
