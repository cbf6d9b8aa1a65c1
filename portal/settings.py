"""Settings for the customer portal: one module, configured by the environment (12-factor).

Defaults need nothing installed (SQLite, eager Celery, local-memory cache); setting
DATABASE_URL, CELERY_BROKER_URL and REDIS_URL switches to the real services.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from portal.invoice_registration import registration_number_problem

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"

# Off unless asked for: `make run` turns it on for development. Off, a SECRET_KEY is required.
DEBUG = env.bool("DEBUG", default=False)
# An empty variable (as in .env.example) counts as unset, here and below.
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))'). "
        "For development set DEBUG=1 (make run does)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "workspace.admin_app.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "eligibility",
    "verification",
    "crm",
    "billing",
    "subscriptions",
    "orders",
    "notifications",
    "dashboard",
    "workspace",
    "outbox",
    "staff",
    "support",
]

# Behind N reverse proxies (a load balancer, nginx), each appending the address it received
# from to X-Forwarded-For, the client is the N-th address from the right; everything else in
# the header is the client's own word. 0: REMOTE_ADDR is the client (docs/operations.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
XFF_TRUSTED_PROXY_DEPTH = TRUSTED_PROXY_COUNT

MIDDLEWARE = [
    *(["xff.middleware.XForwardedForMiddleware"] if TRUSTED_PROXY_COUNT else []),
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.CustomerLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.PrivateCacheControlMiddleware",
    # Last: a view's lost database is the first exception it sees, answered with a 503.
    "portal.outages.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
            ],
            "libraries": {
                "dates": "portal.templatetags.dates",
                "icons": "portal.templatetags.icons",
            },
        },
    },
]

# --- Data stores -------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Connections (docs/operations.md, "Database connections"). In production each process
# borrows from Django's own pool (psycopg's): a request takes a connection that is already
# open and gives it back at its end, whatever thread it ran in. CONN_MAX_AGE (a connection
# kept per thread) is for a WSGI server or a worker without the pool: set, it turns the
# pool's default off, and the ASGI application refuses it (portal/asgi.py).
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_POOL = _POSTGRES and env.bool("DATABASE_POOL", default=not DEBUG and CONN_MAX_AGE == 0)
if DATABASE_POOL and CONN_MAX_AGE:
    raise ImproperlyConfigured(
        "DATABASE_POOL=true needs CONN_MAX_AGE=0: a pooled connection goes back to the pool "
        "after each request (unset CONN_MAX_AGE, or set DATABASE_POOL=false)."
    )
# A pooler between the portal and PostgreSQL: "" (none) or "pgbouncer", in transaction mode,
# where consecutive transactions of one connection may reach different server sessions.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'pgbouncer', not {DATABASE_POOLER!r}."
    )
BEHIND_POOLER = _POSTGRES and DATABASE_POOLER == "pgbouncer"
# The live stream's LISTEN needs one server session of its own for the life of the process:
# behind the pooler it goes straight to PostgreSQL (notifications/live.py).
LIVE_DATABASE_URL = env.str("LIVE_DATABASE_URL", default="")
if BEHIND_POOLER and not LIVE_DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_POOLER=pgbouncer needs LIVE_DATABASE_URL: a direct connection to PostgreSQL "
        "for the live stream's LISTEN, which a transaction pooler silently breaks."
    )
if BEHIND_POOLER:
    # A cursor that lives on the server (a queryset's .iterator()) outlives its transaction
    # and the pooler hands the next fetch to another session: read results on the client.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if env.bool("PREPARED_STATEMENTS", default=False):
        raise ImproperlyConfigured(
            "PREPARED_STATEMENTS=true cannot work behind DATABASE_POOLER=pgbouncer: a "
            "statement prepared in one server session is missing, or another client's, in the next."
        )
if DATABASE_POOL:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        # A request that finds every connection lent waits this long, then fails (a 503).
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
    }
if _POSTGRES and not BEHIND_POOLER and env.bool("PREPARED_STATEMENTS", default=True):
    # The hot read statements (portal/statements.py) ask to be prepared, so PostgreSQL plans
    # them once per connection instead of on every read; every other statement binds on the
    # client and is never prepared. They are written for one customer's rows through an
    # index, so their generic plan is the right one whatever the values: PostgreSQL is told
    # to keep it rather than guess from costs (which made it plan the dashboard's statement
    # again on every read). Never behind a pooler: there each statement binds on the client,
    # is planned where it runs, and no startup `options` is sent (PgBouncer refuses it).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 5
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
if _POSTGRES:
    # A database host that does not answer (gone, packets dropped) fails the connect after
    # this long, and the request is a 503, instead of holding it for the system's minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so check-then-insert stays
    # correct on SQLite too; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            # A Redis that hangs costs a request at most this long; callers fail open.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- The live notification stream --------------------------------------------------------

# A comment line this often keeps an open stream alive through proxies; the login behind
# each stream is checked again at the same pace.
LIVE_KEEPALIVE_SECONDS = env.float("LIVE_KEEPALIVE_SECONDS", default=25)
# On PostgreSQL each web process LISTENs for committed notification changes (on
# LIVE_DATABASE_URL when set, above); it reads the feed anyway this often, and every
# LIVE_POLL_SECONDS when it cannot listen (SQLite, or LIVE_LISTEN=false).
LIVE_LISTEN = env.bool("LIVE_LISTEN", default=True)
LIVE_POLL_SECONDS = env.float("LIVE_POLL_SECONDS", default=1)
LIVE_SAFETY_POLL_SECONDS = env.float("LIVE_SAFETY_POLL_SECONDS", default=30)

# --- Auth --------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.authentication.EmailBackend"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "/login"

# Wrong passwords (only those count) free per account and client address; after them each
# try from that address waits, doubling from the base up to the cap (accounts/throttling.py).
# The count is forgotten a window after its last wait. One address with more wrong
# passwords than LOGIN_ADDRESS_FAILURE_LIMIT, over any accounts, waits a window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_THROTTLE_BASE_SECONDS = env.int("LOGIN_THROTTLE_BASE_SECONDS", default=30)
LOGIN_THROTTLE_MAX_SECONDS = env.int("LOGIN_THROTTLE_MAX_SECONDS", default=900)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)

# Password reset links: valid for an hour, sent by mail. Mail is printed to the console
# unless EMAIL_URL names a server (smtp+tls://user:password@smtp.example.com:587).
PASSWORD_RESET_TIMEOUT = 60 * 60
vars().update(env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# A mail server that does not answer fails the send (the task retries) instead of hanging.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The portal's address as customers reach it: the links in notification emails.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Internationalisation ----------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
# Japanese dates and times with a space between them (portal/locale_formats/ja).
FORMAT_MODULE_PATH = ["portal.locale_formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
# The language a browser chose before logging in (and keeps after logging out). Only the
# server reads it, and it travels like the session cookie.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)

# --- Static and private files ------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
# Identity documents never go under a public URL: only staff views stream them.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default="") or BASE_DIR / "private-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "accounts.storage.PrivateFileSystemStorage",
        # Readable by the portal's own user only.
        "OPTIONS": {
            "location": str(PRIVATE_MEDIA_ROOT),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Request bodies (API.md "Third wave"): 1 MB for JSON and forms; a route that takes files
# 10 MB per file and its files' limits plus 1 MB in all (portal.bodies names those routes),
# refused while the body arrives under ASGI. Django's own checks hold the same limits for the
# rest of a body and under WSGI; the API's JSON parser refuses a longer body before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
API_JSON_MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
# A file over this is counted and never kept; the service that takes it says it is too large.
FILE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portal.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Security ----------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Database sessions, read through a statement compiled once (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# htmx reads the token from the page (a meta tag), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST API ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CustomerJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only: the schema then documents one request body per operation, as a
    # generated client expects. The one upload declares its multipart parser itself.
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "portal.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"login_address": "30/min"},
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    # Rotation and the blacklist are done by accounts.tokens, under a row lock.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Customer portal API",
    "DESCRIPTION": (
        "The REST API of the customer portal, for the mobile apps and the portal's own pages. "
        "Authenticate with `Authorization: Bearer <access>` from `POST /api/auth/token`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.openapi.document_common_errors",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Several resources have a `status` with its own choices: one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "EligibilityStatusEnum": "accounts.models.EligibilityStatus.values",
        "VerificationStatusEnum": "accounts.models.VerificationStatus.values",
        "SubscriptionStatusEnum": "subscriptions.models.SubscriptionStatus",
        "CancellationStatusEnum": "subscriptions.models.CancellationStatus",
        "CancellationReasonEnum": "subscriptions.models.CancellationReason",
        "SuspensionReasonEnum": "subscriptions.models.SuspensionReason",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus.values",
        # The plans' kind keeps the name it had before invoices had a kind too.
        "KindEnum": "subscriptions.models.PlanKind",
        "InvoiceKindEnum": "billing.models.InvoiceKind.values",
        "PaymentStatusEnum": "billing.models.PaymentStatus.values",
        "PaymentMethodTypeEnum": "billing.models.PaymentMethodType.values",
        "SupportRequestStatusEnum": "support.models.SupportRequestStatus.values",
        "SupportTopicEnum": "support.models.SupportTopic.values",
    },
}

# --- Celery ------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="portal")
CELERY_TIMEZONE = TIME_ZONE
# Rows one sweep enqueues again per run, at most (the run is every minute).
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=100)
# The dispatcher (manage.py dispatch_outbox) publishes the outbox this often.
OUTBOX_DISPATCH_INTERVAL_SECONDS = env.float("OUTBOX_DISPATCH_INTERVAL_SECONDS", default=1.0)
CELERY_BEAT_SCHEDULE = {
    "invoice-due-reminders": {
        "task": "notifications.tasks.send_invoice_due_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "payment-method-expiring-reminders": {
        "task": "notifications.tasks.send_payment_method_expiring_reminders",
        "schedule": crontab(hour=9, minute=10),
    },
    "residence-card-expiring-reminders": {
        "task": "notifications.tasks.send_residence_card_expiring_reminders",
        "schedule": crontab(hour=9, minute=20),
    },
    "retry-notification-emails": {
        "task": "notifications.tasks.retry_notification_emails",
        "schedule": crontab(minute="*/15"),
    },
    "retry-push-notifications": {
        "task": "notifications.tasks.retry_push_notifications",
        "schedule": crontab(minute="*/15"),
    },
    "purge-expired-notifications": {
        "task": "notifications.tasks.purge_expired_notifications",
        "schedule": crontab(hour=3, minute=30),
    },
    "queue-due-announcements": {
        "task": "notifications.tasks.queue_due_announcements",
        "schedule": 60.0,
    },
    "dispatch-outbox": {
        "task": "outbox.tasks.dispatch_outbox",
        "schedule": 60.0,
    },
    # Work the database says is unfinished is enqueued again (outbox.sweeps).
    "sweep-unfinished-work": {
        "task": "outbox.tasks.sweep_unfinished_work",
        "schedule": 60.0,
    },
    "purge-sent-outbox": {
        "task": "outbox.tasks.purge_sent_outbox",
        "schedule": crontab(hour=4, minute=0),
    },
    "complete-due-cancellations": {
        "task": "subscriptions.tasks.complete_due_cancellations",
        "schedule": crontab(hour=0, minute=15),
    },
    # Automatic charges on the due date at 09:00 and their retries (billing.services.collection).
    "collect-payments": {
        "task": "billing.tasks.collect_payments",
        "schedule": crontab(hour=9, minute=0),
    },
    # Warnings and suspensions, after the day's charges (billing.services.dunning).
    "suspend-overdue": {
        "task": "billing.tasks.suspend_overdue",
        "schedule": crontab(hour=10, minute=0),
    },
    # The month before, once the day's cancellations are complete (billing.services.run).
    "billing-run": {
        "task": "billing.tasks.billing_run",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}
# Days after an invoice's due date that its customer's services are suspended, still unpaid.
SUSPEND_AFTER_DAYS = env.int("SUSPEND_AFTER_DAYS", default=14)
# Customers the billing run bills per transaction (docs/operations.md).
BILLING_RUN_CHUNK_SIZE = env.int("BILLING_RUN_CHUNK_SIZE", default=500)

# --- Ports to the outside ----------------------------------------------------------------

BILLING_PROVIDER = env.str("BILLING_PROVIDER", default="billing.providers.LocalBillingProvider")
BILLING_PROVIDER_TIMEOUT_SECONDS = env.float("BILLING_PROVIDER_TIMEOUT_SECONDS", default=2.0)
PROVISIONING_ADAPTER = env.str(
    "PROVISIONING_ADAPTER", default="orders.provisioning.LocalProvisioningAdapter"
)
# "", "temporary" or "permanent": makes the local provisioning adapter fail, for demos.
PROVISIONING_FAILURE_MODE = env.str("PROVISIONING_FAILURE_MODE", default="")
# The same per plan code, e.g. "sim-data-3gb=permanent,hikari-10g=temporary".
PROVISIONING_FAILURE_PLANS: dict[str, str] = env.dict("PROVISIONING_FAILURE_PLANS", default={})
# The payment processor by name (billing.processor.PAYMENT_PROCESSORS): "test", the in-process
# processor that takes the test cards, or a real one. A dotted path to an adapter class works too.
PAYMENT_PROCESSOR = env.str("PAYMENT_PROCESSOR", default="test")
# The test processor pays invoices with `tok_visa`, so with DEBUG off it runs only when this
# says so (a staging site, the benchmark); its card form under /test-processor/ exists only then.
PAYMENT_PROCESSOR_ALLOW_TEST = env.bool("PAYMENT_PROCESSOR_ALLOW_TEST", default=False)
if (
    not DEBUG
    and not PAYMENT_PROCESSOR_ALLOW_TEST
    and PAYMENT_PROCESSOR in ("test", "billing.processor.TestPaymentProcessor")
):
    raise ImproperlyConfigured(
        "PAYMENT_PROCESSOR is the test processor, which takes test cards as payment, and DEBUG "
        "is off. Set PAYMENT_PROCESSOR to a real processor, or PAYMENT_PROCESSOR_ALLOW_TEST=true "
        "where nobody pays real invoices (docs/operations.md)."
    )
# Stripe (PAYMENT_PROCESSOR=stripe, docs/operations.md): the secret API key, the signing secret
# of the webhook endpoint, and the API's address (Stripe's own unless a test points it elsewhere).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds to wait for one answer from Stripe; a call that times out is retried with its key.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# The issuer printed on qualified invoices (適格請求書) and receipts; the registration
# number is the qualified invoice issuer number: "T" and a 13-digit corporate number whose
# first digit checks the rest (portal/invoice_registration.py).
INVOICE_ISSUER_NAME = env.str("INVOICE_ISSUER_NAME", default="Sakura Hikari Mobile K.K.")
INVOICE_ISSUER_NAME_JA = env.str("INVOICE_ISSUER_NAME_JA", default="株式会社さくら光モバイル")
INVOICE_ISSUER_ADDRESS = env.str(
    "INVOICE_ISSUER_ADDRESS", default="1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002"
)
INVOICE_ISSUER_ADDRESS_JA = env.str(
    "INVOICE_ISSUER_ADDRESS_JA", default="〒150-0002 東京都渋谷区渋谷1-2-3"
)
INVOICE_REGISTRATION_NUMBER = env.str("INVOICE_REGISTRATION_NUMBER", default="T9234567890123")
_registration_problem = registration_number_problem(INVOICE_REGISTRATION_NUMBER)
if _registration_problem:
    _message = (
        f"INVOICE_REGISTRATION_NUMBER {INVOICE_REGISTRATION_NUMBER!r} is not a qualified invoice "
        f"registration number: {_registration_problem}."
    )
    # Printed on every invoice: a wrong one makes them all invalid for the customer's tax return.
    if not DEBUG:
        raise ImproperlyConfigured(_message)
    warnings.warn(_message, stacklevel=1)
# Push to the mobile apps through Firebase Cloud Messaging's HTTP v1 API (docs/operations.md).
# Without a credentials file (a service account's JSON key) pushes are only logged.
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")
FCM_ENDPOINT = env.str("FCM_ENDPOINT", default="") or "https://fcm.googleapis.com"
CRM_WEBHOOK_SECRET = env.str("CRM_WEBHOOK_SECRET", default="")
CRM_WEBHOOK_MAX_BODY_BYTES = env.int("CRM_WEBHOOK_MAX_BODY_BYTES", default=64 * 1024)

# --- Logging -----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
