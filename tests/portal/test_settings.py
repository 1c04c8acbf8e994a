"""Settings come from the environment and refuse values they cannot use."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hashers
from django.core.exceptions import ImproperlyConfigured

from portal import env
from tests.subprocesses import production_environ, run_manage, run_python

SETUP = "import django; django.setup(); print('started')"
KEY_X = base64.b64encode(b"x" * 32).decode()
KEY_Y = base64.b64encode(b"y" * 32).decode()


@pytest.mark.parametrize(
    ("helper", "value"),
    [
        (lambda e: env.envbool("X", False, e), "maybe"),
        (lambda e: env.envbool("X", False, e), "2"),
        (lambda e: env.envint("X", 1, environ=e), "ten"),
        (lambda e: env.envint("X", 1, environ=e), "1.5"),
        (lambda e: env.envint("X", 1, minimum=5, environ=e), "4"),
        (lambda e: env.envint("X", 1, maximum=5, environ=e), "6"),
        (lambda e: env.envchoice("X", ("a", "b"), "a", e), "c"),
        (lambda e: env.parse_keyring("X", e["X"]), "no-colon"),
        (lambda e: env.parse_keyring("X", e["X"]), "k:not base64!"),
        (lambda e: env.parse_keyring("X", e["X"]), "k:" + base64.b64encode(b"short").decode()),
        (lambda e: env.parse_keyring("X", e["X"]), f"k:{KEY_X},k:{KEY_Y}"),
        (lambda e: env.parse_keyring("X", e["X"]), f"bad id!:{KEY_X}"),
    ],
)
def test_helpers_refuse_bad_values_and_name_the_variable(
    helper: Callable[[dict[str, str]], object], value: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match="X"):
        helper({"X": value})


def test_helpers_read_good_values() -> None:
    environ = {"B": "Yes", "I": " 42 ", "L": "a, b,,c", "C": "B"}
    assert env.envbool("B", False, environ) is True
    assert env.envbool("missing", True, environ) is True
    assert env.envint("I", 0, environ=environ) == 42
    assert env.envlist("L", environ=environ) == ["a", "b", "c"]
    assert env.envchoice("C", ("a", "b"), "a", environ) == "b"
    ring = env.parse_keyring("K", "one:" + base64.b64encode(b"1" * 32).decode())
    assert ring == {"one": b"1" * 32}


def test_secret_from_file_and_refusal_of_both(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    assert env.envsecret("S", {"S_FILE": str(secret_file)}) == "from-a-file"
    with pytest.raises(ImproperlyConfigured, match="S or S_FILE"):
        env.envsecret("S", {"S": "x", "S_FILE": str(secret_file)})
    with pytest.raises(ImproperlyConfigured, match="S_FILE"):
        env.envsecret("S", {"S_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    "value", ["", "change-me", "django-insecure-abc", "short", "a" * 60, "your-secret-key-here"]
)
def test_placeholder_secrets_are_refused(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env.require_secret("SECRET_KEY", value)


def test_debug_is_off_unless_asked_for() -> None:
    assert settings.DEBUG is False


def test_passwords_are_hashed_with_argon2id_at_owasps_minimum_or_above() -> None:
    """OWASP's minimum Argon2id: 19 MiB of memory, 2 iterations, 1 lane; the portal fills
    the memory in two lanes (two threads), the same work in about half the wait."""
    hasher = get_hashers()[0]
    assert isinstance(hasher, Argon2PasswordHasher)
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism == 2
    encoded = hasher.encode("a passphrase of words", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}" in encoded


def test_production_starts_with_a_complete_environment() -> None:
    result = run_python(SETUP, production_environ())
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", "change-me-in-production-please-change-me-now"),
        ("PORTAL_MASTER_KEYS", None),
        ("PORTAL_BLIND_INDEX_KEY", None),
        ("PORTAL_AUDIT_KEY", None),
        ("DATABASE_URL", None),
        ("REDIS_URL", None),
        ("ALLOWED_HOSTS", None),
        ("EMAIL_HOST", None),
        ("DEBUG", "perhaps"),
        ("PORTAL_ENV", "staging"),
        ("PORTAL_ACTIVE_MASTER_KEY_ID", "missing-id"),
    ],
)
def test_production_refuses_to_start_and_names_the_variable(
    variable: str, value: str | None
) -> None:
    result = run_python(SETUP, production_environ(**{variable: value}))
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert variable in result.stderr
    if value:
        assert value not in result.stderr.split("ImproperlyConfigured")[-1]


def test_production_environment_passes_check_deploy() -> None:
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_environ())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_uses_host_prefixed_secure_cookies() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    )
    result = run_python(code, production_environ())
    assert result.stdout.split() == [
        "__Host-sessionid", "__Host-csrftoken", "True", "True", "31536000", "True"
    ]
