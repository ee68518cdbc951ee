"""Settings for the Logging Console, read from the environment only.

A bad value fails at start-up with ImproperlyConfigured instead of at the first request.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else a random key kept beside the data.

    The key file is created once, with O_EXCL so that concurrent workers agree on one
    key, and never committed: no secret lives in the repository.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_urlsafe(50)
        handle.write(key)
    return key


DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = _secret_key(DATA_DIR)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "axes",
    "logging_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the page views that may read from a replica (none without DATABASE_REPLICA_URLS).
    "logging_app.replicas.ReplicaReadsMiddleware",
    "logging_app.middleware.time_zone_middleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The console's own 404 and 500 pages also under DEBUG (make run's demo).
    "logging_app.errors.ConsoleErrorPagesMiddleware",
    "logging_app.access.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "logging_app.context_processors.console",
                "logging_app.context_processors.appliance_health",
            ],
        },
    },
]

# Without DATABASE_URL the console runs on an embedded SQLite file; production sets
# DATABASE_URL=postgres://...
_default_db = f"sqlite:///{DATA_DIR / 'console.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or _default_db,
            conn_max_age=_env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, ingest command) share the file: wait for locks
    # instead of failing, and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0


def _replica_databases(primary: dict) -> dict[str, dict]:
    """DATABASE_REPLICA_URLS: streaming replicas of the PostgreSQL database, by alias."""
    postgresql = "django.db.backends.postgresql"
    urls = _env_list("DATABASE_REPLICA_URLS")
    if urls and primary["ENGINE"] != postgresql:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
    replicas = {}
    for number, url in enumerate(urls, start=1):
        usage = f"DATABASE_REPLICA_URLS entry {number} must be postgres://…/database"
        try:
            replica = dj_database_url.parse(url, conn_max_age=primary["CONN_MAX_AGE"])
        except ValueError as error:
            raise ImproperlyConfigured(f"{usage}: {error}") from None
        if replica["ENGINE"] != postgresql or not replica["NAME"]:
            raise ImproperlyConfigured(usage)
        # A replica that does not answer is skipped after this many seconds (libpq's least).
        replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        # Under the test runner it reads the test database, which it is not to create.
        replica["TEST"] = {"MIRROR": "default"}
        replicas[f"replica{number}"] = replica
    return replicas


# Page views read the logs and accounts from these (logging_app/replicas.py).
DATABASES |= _replica_databases(DATABASES["default"])
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["logging_app.replicas.ReplicaRouter"] if DATABASE_REPLICAS else []
# The figures' covering indexes (a range of days read from the index alone) are PostgreSQL's;
# SQLite, the demo's database, makes them plain indexes, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "logging_app.access.PasswordAgeValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins from a locked-out username and address before checking a password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Passwords expire after this many days (0: never); signing in then leads to a new one.
PASSWORD_MAX_AGE_DAYS = _env_int("PASSWORD_MAX_AGE_DAYS", 90)
# Sessions end after this many seconds without a request.
SESSION_IDLE_TIMEOUT = _env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
# The cookie outlives the idle timeout so that a timeout can be told apart and recorded.
SESSION_COOKIE_AGE = max(SESSION_IDLE_TIMEOUT * 4, 8 * 60 * 60)
# Proxies in front of the console that append to X-Forwarded-For; 0 trusts no header.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)

# Lockout (django-axes): repeated failures lock that username out from that address.
AXES_FAILURE_LIMIT = _env_int("LOCKOUT_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("LOCKOUT_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A sign-in refused during the lockout counts as a failure and restarts the cool-off: a
# client that keeps trying stays locked out, and the count shows how hard it tried.
# access.record_lockout relies on it to tell a refusal from the failure that locked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_CLIENT_IP_CALLABLE = "logging_app.access.client_ip"
AXES_LOCKOUT_CALLABLE = "logging_app.access.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from None
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers. The pages carry no inline script or style, so the policy can be strict.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# TLS is usually ended by a proxy in front of gunicorn; set SECURE_SSL_REDIRECT=true when not.
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", False)
# A load balancer probes over plain HTTP and needs the status itself, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if _env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# How Security events present themselves in CEF lines (the CEF header's device fields).
SIEM_DEVICE_VENDOR = os.environ.get("SIEM_DEVICE_VENDOR", "Secure Voice")
SIEM_DEVICE_PRODUCT = os.environ.get("SIEM_DEVICE_PRODUCT", "Logging Console")
SIEM_DEVICE_VERSION = os.environ.get("SIEM_DEVICE_VERSION", "1.0")

DJANGO_TABLES2_TEMPLATE = "logging/table.html"

# The largest ingest request body; larger batches are refused with 413.
INGEST_MAX_BODY_BYTES = _env_int("INGEST_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Background jobs -------------------------------------------------------------------------
# `manage.py run_worker` runs the jobs of logging_app/jobs/; docs/siem.md and
# docs/jobs.md describe them.


def _syslog_url(name: str) -> str:
    """The SIEM collector, udp://host[:port] or tcp://host[:port] (port 514 if left out)."""
    from urllib.parse import urlsplit

    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    usage = f"{name} must be udp://host:port or tcp://host:port, not {raw!r}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(usage) from None
    extra = parts.username or parts.password or parts.path.strip("/") or parts.query
    if parts.scheme not in {"udp", "tcp"} or not parts.hostname or extra or port == 0:
        raise ImproperlyConfigured(usage)
    return raw


# Security events go to this collector as RFC 5424 syslog messages carrying their CEF
# line; empty: not forwarded (they still wait in the outbox).
SIEM_SYSLOG_URL = _syslog_url("SIEM_SYSLOG_URL")
# The syslog facility (0–23); 13 is "log audit".
SIEM_SYSLOG_FACILITY = _env_int("SIEM_SYSLOG_FACILITY", 13)
if SIEM_SYSLOG_FACILITY > 23:
    raise ImproperlyConfigured(f"SIEM_SYSLOG_FACILITY must be 0–23, not {SIEM_SYSLOG_FACILITY}")
# The HOSTNAME of the syslog header; empty: this machine's host name.
SIEM_SYSLOG_HOSTNAME = os.environ.get("SIEM_SYSLOG_HOSTNAME", "")
# Seconds to wait for the collector to accept a connection or data.
SIEM_SYSLOG_TIMEOUT = _env_int("SIEM_SYSLOG_TIMEOUT", 5, minimum=1)

# Logs kept besides the console's own eight: modules holding a SPEC (logging_app/logs/spec.py),
# added to the menu after them.
CONSOLE_EXTRA_LOGS = _env_list("CONSOLE_EXTRA_LOGS")

# Days each log keeps its rows (by the log's time field): RETENTION_DAYS_<LOG>, the log's
# slug in capitals with "_" for "-" (RETENTION_DAYS_WEB_SESSIONS); 0 or unset: forever. The
# CDR policy purges direct-call CDRs on its own terms besides. A name that matches no log
# is refused at start-up (logging_app/checks.py).
RETENTION_DAYS = {
    name.removeprefix("RETENTION_DAYS_").lower().replace("_", "-"): _env_int(name, 0)
    for name in os.environ
    if name.startswith("RETENTION_DAYS_")
}

# On PostgreSQL, the days of rows each partition of a large log holds (logging_app/
# partitions.py): PARTITION_DAYS_<LOG> as for the retention; unset: the log's own (7 days
# for CDRs and SIP sessions, 30 for web sessions). A change applies to partitions made
# afterwards.
PARTITION_DAYS = {
    name.removeprefix("PARTITION_DAYS_").lower().replace("_", "-"): _env_int(name, 0)
    for name in os.environ
    if name.startswith("PARTITION_DAYS_")
}

# How far back SIP reconciliation looks for CONNECT/DISCONNECT events still unbound.
SIP_RECONCILE_LOOKBACK_HOURS = _env_int("SIP_RECONCILE_LOOKBACK_HOURS", 48, minimum=1)

# The appliance's heartbeats (System log): with none for longer than this many seconds, every
# page shows a warning and check_health records a Security event (logging_app/health.py).
HEARTBEAT_EXPECTED_SECONDS = _env_int("HEARTBEAT_EXPECTED_SECONDS", 900, minimum=1)
# A log is silent, and warned about likewise, when nothing came for this many times its usual
# gap between records (and for longer than the heartbeat interval); 0: never.
LOG_SILENCE_FACTOR = _env_int("LOG_SILENCE_FACTOR", 10)

# Seconds between two runs of each job in `manage.py run_worker`.
JOB_INTERVALS = {
    "keep_partitions": _env_int("JOB_INTERVAL_KEEP_PARTITIONS", 3600, minimum=1),
    "reconcile_sip": _env_int("JOB_INTERVAL_RECONCILE_SIP", 60, minimum=1),
    "expire_secure_messages": _env_int("JOB_INTERVAL_EXPIRE_SECURE_MESSAGES", 300, minimum=1),
    "purge_logs": _env_int("JOB_INTERVAL_PURGE_LOGS", 3600, minimum=1),
    "check_health": _env_int("JOB_INTERVAL_CHECK_HEALTH", 60, minimum=1),
    "forward_siem": _env_int("JOB_INTERVAL_FORWARD_SIEM", 10, minimum=1),
}
