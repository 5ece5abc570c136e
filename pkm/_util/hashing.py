"""Stable content hashes: what decides whether a stored thing changed."""

import hashlib
import json
from typing import Any

# Bump when the hashed fields change, so old hashes never compare equal to new ones by accident.
_VERSION = "1"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_hash(value: Any) -> str:
    digest = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return f"{_VERSION}:{digest[:32]}"


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]
