"""The fingerprint of a stored definition (a questionnaire or an instrument version)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_sha256(definition: Any) -> str:
    """SHA-256 of the definition as canonical JSON (sorted keys, no spaces): the same data
    always gives the same digest, however the file was laid out."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
