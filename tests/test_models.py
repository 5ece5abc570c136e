"""pkm.models: every type is importable from the package, and only the modules a caller
asks for are loaded."""

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pkm.models

MODULES = sorted(
    p.stem for p in Path(pkm.models.__file__).parent.glob("*.py") if p.stem != "__init__"
)


def test_every_public_name_of_every_module_is_importable_from_the_package() -> None:
    for name in MODULES:
        module = importlib.import_module(f"pkm.models.{name}")
        for attr, value in vars(module).items():
            if attr.startswith("_") or inspect.ismodule(value):
                continue
            if getattr(value, "__module__", module.__name__) != module.__name__:
                continue  # imported from elsewhere (dataclass, datetime, another module)
            assert getattr(pkm.models, attr) is value, f"pkm.models.{attr}"
            assert attr in pkm.models.__all__, attr


def test_a_parse_worker_loads_only_what_parsing_needs() -> None:
    code = (
        "import sys, pkm.seek.parse, pkm.seek.feeds; "
        "print(sorted(m for m in sys.modules if m.startswith(('pkm.models.', 'feedparser'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pkm.models.share" not in loaded and "pkm.models.stats" not in loaded, loaded
    assert "feedparser" not in loaded, loaded
