"""Settings for the intake portal: one module, every value from the environment.

``PORTAL_ENV`` picks the frame: ``production`` (the default, so a forgotten variable fails
closed), ``development`` (``make run``) or ``test`` (``make test``). Production refuses to start
on a missing or placeholder secret and names the variable; see ``docs/deployment.md``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured

from portal import rate_limits
from portal.env import (
    envbool,
    envchoice,
    envint,
    envlist,
    envschedule,
    envsecret,
    envstr,
    parse_keyring,
    require_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PORTAL_ENV = envchoice("PORTAL_ENV", ("production", "development", "test"), "production")
IS_PRODUCTION = PORTAL_ENV == "production"
IS_TEST = PORTAL_ENV == "test"

DEBUG = envbool("DEBUG", default=False)


def _secret(name: str) -> str:
    """A secret that production must be given (and not a placeholder); development must be
    given one too (``make run`` writes them to ``.env``); only tests invent one per process."""
    value = envsecret(name)
    if IS_PRODUCTION:
        return require_secret(name, value)
    if not value and not IS_TEST:
        raise ImproperlyConfigured(
            f"{name} is not set. Run `make run` (it writes a local .env with fresh keys) or "
            f"set {name} / {name}_FILE."
        )
    return value or secrets.token_urlsafe(50)


def _secret_key_material(name: str) -> str:
    """Base64 key material for one 256-bit key (tests invent one when none is given)."""
    if IS_TEST and not envsecret(name):
        return secrets.token_urlsafe(32)
    return _secret(name)


SECRET_KEY = _secret("SECRET_KEY")

ALLOWED_HOSTS = envlist(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. List the portal's host names.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# Where people reach the portal, for links in emails sent without a request (a safety alert
# sent by the scheduled command): the first allowed host over HTTPS unless set.
PORTAL_BASE_URL = envstr(
    "PORTAL_BASE_URL",
    f"https://{ALLOWED_HOSTS[0]}" if IS_PRODUCTION else "http://127.0.0.1:8000",
).rstrip("/")

# --- Key material -----------------------------------------------------------------------
# Separate from SECRET_KEY on purpose: rotating the session secret must never touch the keys
# that protect clinical content. Field encryption (docs/key-management.md) builds on these.
# Missing keys stop start-up (fail closed), naming the variable; only tests invent keys.
if IS_TEST and not envsecret("PORTAL_MASTER_KEYS"):
    _master_keys = f"test-1:{secrets.token_urlsafe(32)}"
else:
    _master_keys = _secret("PORTAL_MASTER_KEYS")
PORTAL_MASTER_KEYS = parse_keyring("PORTAL_MASTER_KEYS", _master_keys)
PORTAL_ACTIVE_MASTER_KEY_ID = envstr("PORTAL_ACTIVE_MASTER_KEY_ID") or next(
    iter(PORTAL_MASTER_KEYS)
)
if PORTAL_ACTIVE_MASTER_KEY_ID not in PORTAL_MASTER_KEYS:
    raise ImproperlyConfigured(
        "PORTAL_ACTIVE_MASTER_KEY_ID names a key id that PORTAL_MASTER_KEYS does not contain."
    )
PORTAL_BLIND_INDEX_KEY = parse_keyring(
    "PORTAL_BLIND_INDEX_KEY", f"bi:{_secret_key_material('PORTAL_BLIND_INDEX_KEY')}"
)["bi"]
PORTAL_AUDIT_KEY = parse_keyring(
    "PORTAL_AUDIT_KEY", f"audit:{_secret_key_material('PORTAL_AUDIT_KEY')}"
)["audit"]
# Where master keys live: the local keyring above, or (later) a cloud KMS provider.
PORTAL_KEY_PROVIDER = envstr(
    "PORTAL_KEY_PROVIDER", "portal.crypto.providers.local_provider_from_settings"
)

# --- Applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    # Before django_tasks_db: the portal's ``db_worker`` (which first puts back what a killed
    # worker left and restarts the scheduler) takes the place of the backend's.
    "portal",
    "django_tasks",
    "django_tasks_db",
    "intake",
    "consents",
    "clients",
    "measures",
    "demo",
]
if IS_TEST:
    # One model with every encrypted field type, for the encryption tests (no migrations).
    INSTALLED_APPS.append("tests.cryptoapp")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.audit.context.AuditContextMiddleware",
    "portal.crypto.datakeys.KeyScopeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The language of the cookie or the browser (no session needed), before anything can
    # answer in words: InputChecksMiddleware's refusals are in the reader's language.
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.InputChecksMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.i18n.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.IdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.StaffMFARequiredMiddleware",
    "portal.middleware.PrivacyHeadersMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # Dates and times for people, one format in the practice's zone, on every page
            # and email without a {% load %}: the when / day / clock / zone / iso filters.
            "builtins": ["portal.templatetags.portal_format"],
        },
    },
]

# Form widgets (every input, every radio option) are rendered by Jinja2 from Django's own
# widget templates: the same markup as the default renderer at a fraction of its CPU
# (docs/performance.md). Pages stay Django templates.
FORM_RENDERER = "django.forms.renderers.Jinja2"

# --- Database, cache, sessions ----------------------------------------------------------
_database_url = envstr("DATABASE_URL")
if IS_PRODUCTION and not _database_url:
    raise ImproperlyConfigured("DATABASE_URL is not set. Production runs on PostgreSQL.")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60, minimum=0, maximum=3600),
        conn_health_checks=True,
    )
}
if IS_PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default (one person trying the portal; see docs/deployment.md) must hold
    # when several tabs save at once. WAL lets readers carry on while one writer writes;
    # IMMEDIATE takes the write lock when a transaction starts, so two transactions that
    # read then write queue up instead of failing at once with "database is locked"; the
    # timeout (seconds) is how long a writer queues before it gives up.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1, maximum=300),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation of queries. PostgreSQL compiles a query whose estimated cost passes
    # jit_above_cost, which the staff lists' correlated EXISTS pass once a practice has some
    # thousands of clients: compiling took 470 ms for a query that runs in 30 (the client
    # list's page 100 at 10,000 clients; docs/performance.md, "Scale"). Short OLTP queries
    # never repay it. Sent as a connection option, so it needs no extra query.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, [_options.get("options", ""), "-c jit=off"]))
    # Prepared statements: the parameters travel apart from the query (server-side
    # binding), so a query the connection has run PREPARE_THRESHOLD times is prepared and
    # PostgreSQL parses and plans it no more. Django ships with both off (its text-quoted
    # parameters suit transaction-mode poolers); here the app servers talk to PostgreSQL
    # directly, and its CPU per autosave fell from 2.3 to 0.8 ms (docs/performance.md,
    # "Prepared statements"). Behind a pooler that cannot keep prepared statements, set
    # DATABASE_PREPARED_STATEMENTS=false.
    if envbool("DATABASE_PREPARED_STATEMENTS", True):
        _options["server_side_binding"] = True
        _options["prepare_threshold"] = envint("DATABASE_PREPARE_THRESHOLD", 5, minimum=1,
                                               maximum=1000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = envsecret("REDIS_URL")
if IS_PRODUCTION and not _redis_url:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. Production shares rate limits between app servers through Redis."
    )
CACHES = {
    "default": (
        # Django's Redis backend, without a new client object per call (portal/cache.py).
        {"BACKEND": "portal.cache.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions live in the database: any app server can continue any session, and logout deletes
# the row. The idle timeout (practice setting) is enforced by IdleTimeoutMiddleware; this is
# the absolute cap on a session's life.
SESSION_ENGINE = "portal.sessions"  # Django's database store, its lookup compiled once
SESSION_COOKIE_AGE = envint("SESSION_MAX_AGE_SECONDS", 12 * 3600, minimum=300, maximum=86400)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"

# --- Passwords and accounts -------------------------------------------------------------
# Argon2id at OWASP's minimum (portal/passwords.py); a hash made with Django's defaults
# verifies under it and is re-hashed at the next sign-in.
PASSWORD_HASHERS = [
    "portal.passwords.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # ModelBackend's rules, with permissions and roles read in one query per request.
    "portal.auth_backends.PortalModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "portal.adapters.PortalAccountAdapter"
ACCOUNT_USER_DISPLAY = "portal.adapters.user_display"
ACCOUNT_FORMS = {"signup": "portal.forms.PortalSignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = envint("REAUTHENTICATION_TIMEOUT_SECONDS", 300, minimum=60)
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
# Declared as data with every other limit in portal/rate_limits.py; counted in the shared
# cache (Redis in production), so every app server sees the same counts.
ACCOUNT_RATE_LIMITS = rate_limits.ACCOUNT_RATE_LIMITS

MFA_ADAPTER = "portal.crypto.mfa.EncryptingMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
# allauth's form for adding a security key, with its one field's label translatable.
MFA_FORMS = {"add_webauthn": "portal.forms.AddWebAuthnForm"}
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not IS_PRODUCTION
MFA_TOTP_ISSUER = envstr("MFA_TOTP_ISSUER", "Intake portal")

INVITATION_VALID_DAYS = envint("INVITATION_VALID_DAYS", 7, minimum=1, maximum=30)
QUICK_EXIT_URL = envstr("QUICK_EXIT_URL", "https://www.weather.gov/")

# --- Email --------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if IS_PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = envstr("EMAIL_HOST")
    if not EMAIL_HOST:
        raise ImproperlyConfigured("EMAIL_HOST is not set. Production sends mail over SMTP.")
    EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", default=False)
elif envstr("EMAIL_HOST"):
    # Development or a test with a local mail server (a sink the test starts, MailHog):
    # plain SMTP to it, no TLS, no login.
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = envstr("EMAIL_HOST")
    EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1, maximum=65535)
elif IS_TEST:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A mail server that does not answer costs a worker this long, then the email is retried.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)

# --- Background work: the task queue ------------------------------------------------------
# Django's Tasks API on the database backend: a task is a row written in the caller's
# transaction. Workers: `manage.py db_worker` (docs/deployment.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# An email is retried with backoff (doubling from the first wait up to the longest) for
# this long after it was queued, then given up and shown on "Outgoing messages".
MAIL_RETRY_FOR_HOURS = envint("MAIL_RETRY_FOR_HOURS", 24, minimum=1, maximum=24 * 14)
MAIL_RETRY_FIRST_SECONDS = envint("MAIL_RETRY_FIRST_SECONDS", 60, minimum=1, maximum=3600)
MAIL_RETRY_LONGEST_SECONDS = envint("MAIL_RETRY_LONGEST_SECONDS", 1800, minimum=1,
                                    maximum=6 * 3600)
# A task running longer than this has lost its worker and goes back to the queue.
TASK_LEASE_SECONDS = envint("TASK_LEASE_SECONDS", 300, minimum=5, maximum=24 * 3600)
# Finished tasks and sent or given-up emails are deleted after this many days.
TASK_RETENTION_DAYS = envint("TASK_RETENTION_DAYS", 30, minimum=1, maximum=3650)
# /healthz/queue answers 503 when the oldest ready task has waited longer than this.
QUEUE_HEALTH_MAX_AGE_SECONDS = envint("QUEUE_HEALTH_MAX_AGE_SECONDS", 300, minimum=10)
SCHEDULER_TICK_SECONDS = envint("SCHEDULER_TICK_SECONDS", 60, minimum=1, maximum=3600)
# `migrate` starts the scheduler's tick chain; the test suite starts it by hand.
SCHEDULER_START_ON_MIGRATE = not IS_TEST
# When each periodic job runs: "daily HH:MM" (practice time zone), "every N minutes",
# "every N hours" or "off" (portal/background/schedules.py). Bad text stops start-up.
SCHEDULE = {
    "queue_housekeeping": envschedule("SCHEDULE_QUEUE_HOUSEKEEPING", "daily 03:30"),
    "draft_safety_alerts": envschedule("SCHEDULE_DRAFT_SAFETY_ALERTS", "every 15 minutes"),
    # Reminders (the practice settings say whether and when an intake is reminded).
    "intake_reminders": envschedule("SCHEDULE_INTAKE_REMINDERS", "daily 10:00"),
    "consent_expiry_reminders": envschedule("SCHEDULE_CONSENT_EXPIRY_REMINDERS", "daily 10:05"),
    # Check-ins between sessions (measures/queue.py): opening and expiring, and reminders.
    "check_in_queue": envschedule("SCHEDULE_CHECK_IN_QUEUE", "every 15 minutes"),
    "check_in_reminders": envschedule("SCHEDULE_CHECK_IN_REMINDERS", "daily 10:10"),
}

# --- Security headers and cookies ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws form controls with data: SVGs; allauth shows the TOTP QR code as one.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

if IS_PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe app servers directly over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/queue$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", default=True)
    if envbool("BEHIND_TLS_PROXY", default=True):
        # The proxy terminates TLS and must overwrite (never pass through) this header.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Rate limits count per client IP: behind N proxies, allauth takes the address the N-th
# proxy saw from X-Forwarded-For. 0 means "use the socket address" (no proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = envint(
    "TRUSTED_PROXY_COUNT", 1 if IS_PRODUCTION else 0, minimum=0, maximum=5
)

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
# Production serves collectstatic's output; development and tests serve from the finders.
STATIC_ROOT = BASE_DIR / "staticfiles" if IS_PRODUCTION else None
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Internationalisation -----------------------------------------------------------------
# Every word a person reads is translatable (docs/translations.md). A person's language is
# their own choice: the language buttons on every page set the cookie and, once signed in,
# their account (portal.i18n); emails and PDFs follow it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SECURE = IS_PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = envstr("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Logging: never personal data -----------------------------------------------------------
# Request logs carry method, path and status only; paths never hold personal data (ids and
# single-use tokens only). Email bodies are never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Log times are UTC and end in "Z" (portal/log_format.py); pages use the practice's zone.
    "formatters": {
        "plain": {
            "()": "portal.log_format.UTCFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.security.DisallowedHost": {"level": "ERROR"},
        # 4xx warnings carry the request path (e.g. dead invitation links): not worth keeping.
        "django.request": {"level": "ERROR"},
        # At INFO, fontTools names the glyphs a PDF subset keeps: which characters a client
        # typed. PDF libraries log warnings at most.
        "fontTools": {"level": "WARNING"},
        "fpdf": {"level": "ERROR"},
    },
}
ADMINS: list[tuple[str, str]] = []
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.reporting.PersonalDataExceptionReporterFilter"
