"""Typed readers for settings taken from the environment.

Every helper refuses a value it cannot use with an ``ImproperlyConfigured`` that names the
variable, so a typo in a deployment stops start-up instead of quietly meaning something else.
Secrets can also come from a file named by ``NAME_FILE`` (Docker/Kubernetes secrets), which
keeps them out of the process environment and of ``/proc/<pid>/environ``.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.background.schedules import BadSchedule, parse_schedule

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Values that people paste from examples; a production secret equal to (or containing) one of
# these is refused outright.
PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "change_me",
    "placeholder",
    "example",
    "insecure",
    "secret-key",
    "your-secret",
)


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return environ.get(name)


def envstr(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """A plain string; ``default`` when unset."""
    value = _raw(name, environ)
    return default if value is None else value.strip()


def envbool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """A boolean spelled 1/0, true/false, yes/no or on/off; anything else is refused."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got an unrecognised value).")


def envint(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """A whole number, optionally within ``minimum``..``maximum``."""
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}.")
    return number


def envlist(
    name: str, default: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def envchoice(
    name: str, choices: tuple[str, ...], default: str, environ: Mapping[str, str] | None = None
) -> str:
    """One of ``choices``; anything else is refused with the list of allowed values."""
    value = envstr(name, default, environ).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of: {', '.join(choices)}.")
    return value


def envschedule(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """A periodic job's schedule ("daily 09:00", "every 15 minutes", "off"), checked now:
    a schedule that cannot be read stops start-up with the forms that can."""
    value = envstr(name, default, environ)
    try:
        return parse_schedule(value).text
    except BadSchedule as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


def envsecret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` ("" when neither is set).

    Setting both is refused: which one wins would be a guess, and a stale secret is a risk.
    The file's trailing newline is stripped; the value itself is never echoed in errors.
    """
    direct = _raw(name, environ)
    file_name = _raw(f"{name}_FILE", environ)
    if direct is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if file_name is not None:
        path = Path(file_name)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ImproperlyConfigured(
                f"{name}_FILE points to a file that cannot be read."
            ) from None
    return (direct or "").strip()


def looks_like_placeholder(value: str) -> bool:
    """True when a secret is empty, short, repetitive or copied from an example."""
    lowered = value.lower()
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return True
    return len(value) < 32 or len(set(value)) < 10


def require_secret(name: str, value: str) -> str:
    """Refuse a missing or placeholder production secret, naming the variable (never the value)."""
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production refuses to start without it "
            f"(set {name} or {name}_FILE; see docs/deployment.md)."
        )
    if looks_like_placeholder(value):
        raise ImproperlyConfigured(
            f"{name} looks like a placeholder or is too weak. Generate a real value "
            f"(see docs/deployment.md)."
        )
    return value


def decode_key(name: str, value: str) -> bytes:
    """Decode one base64 (standard or URL-safe) 256-bit key, refusing any other length.

    Used for key material (master keys, blind-index key, audit key): a key of the wrong size
    is a configuration error, never silently padded or truncated.
    """
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not valid base64.") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must decode to exactly 32 bytes (256 bits).")
    return raw


def parse_keyring(name: str, value: str) -> dict[str, bytes]:
    """Parse ``id:base64key,id2:base64key`` into ``{key_id: key_bytes}``.

    Key ids are short printable names (letters, digits, ``-``, ``_``; at most 16 characters)
    because they are written into every ciphertext header. Duplicate ids are refused.
    """
    keyring: dict[str, bytes] = {}
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise ImproperlyConfigured(f"{name} entries must look like 'key-id:base64key'.")
        if len(key_id) > 16 or not key_id.replace("-", "").replace("_", "").isalnum():
            raise ImproperlyConfigured(
                f"{name}: key ids may use letters, digits, '-' and '_' (at most 16)."
            )
        if key_id in keyring:
            raise ImproperlyConfigured(f"{name} names the key id '{key_id}' twice.")
        keyring[key_id] = decode_key(f"{name} ({key_id})", encoded.strip())
    return keyring
