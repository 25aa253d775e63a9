"""Settings for the medical-insurance e-voucher portal.

One module for every environment. Values come from the environment through the strict
readers in ``portal.env``. ``PORTAL_MODE=embedded`` (the default) runs on SQLite, a
local-memory cache and eager Celery tasks with clearly-marked development secrets;
``PORTAL_MODE=production`` refuses to start without its secrets, a database and Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.env import REQUIRED, env_bool, env_choice, env_int, env_list, env_required, env_str
from portal.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

PORTAL_MODE = env_choice("PORTAL_MODE", "embedded", ("embedded", "production"))
EMBEDDED = PORTAL_MODE == "embedded"

# Development-only secrets: used in embedded mode, never in production.
_DEV_SECRET_KEY = "embedded-mode-only-" + "x" * 50
# 32-byte AES keys and an HMAC key, base64url; published here on purpose (embedded mode only).
_DEV_IDENTITY_KEYS = "dev1:ZW1iZWRkZWQtbW9kZS1pZGVudGl0eS1rZXktMDAwMDE="
_DEV_INDEX_KEY = "ZW1iZWRkZWQtbW9kZS1ibGluZC1pbmRleC1rZXktMDAwMDE="

if EMBEDDED:
    SECRET_KEY = env_str("SECRET_KEY") or _DEV_SECRET_KEY
    IDENTITY_ENCRYPTION_KEYS = env_str("IDENTITY_ENCRYPTION_KEYS") or _DEV_IDENTITY_KEYS
    IDENTITY_INDEX_KEY = env_str("IDENTITY_INDEX_KEY") or _DEV_INDEX_KEY
else:
    SECRET_KEY = env_required("SECRET_KEY")
    IDENTITY_ENCRYPTION_KEYS = env_required("IDENTITY_ENCRYPTION_KEYS")
    IDENTITY_INDEX_KEY = env_required("IDENTITY_INDEX_KEY")
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")
    _dev_key = _DEV_IDENTITY_KEYS.split(":", 1)[1]
    _ring = [entry.split(":", 1)[-1].strip() for entry in IDENTITY_ENCRYPTION_KEYS.split(",")]
    if _dev_key in _ring:
        raise ImproperlyConfigured(
            "IDENTITY_ENCRYPTION_KEYS holds the published embedded-mode key: remove it from the ring "
            "(re-encrypt first with manage.py reencrypt_identities if data was written with it)."
        )
    if IDENTITY_INDEX_KEY.strip() in (_DEV_INDEX_KEY, _dev_key):
        raise ImproperlyConfigured("IDENTITY_INDEX_KEY is the published embedded-mode key.")

# Rotating SECRET_KEY: the old value(s) here keep sessions and signed values valid until they expire.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

DEBUG = env_bool("DEBUG", EMBEDDED)
if DEBUG and not EMBEDDED:
    raise ImproperlyConfigured("DEBUG=true is refused in production: it shows settings and code to anyone.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if EMBEDDED else [])
if not EMBEDDED and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Which proxies may tell us the client's address (portal.clientip): none by default.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])


def _networks(name: str, values: list[str]) -> list[str]:
    import ipaddress

    try:
        [ipaddress.ip_network(value, strict=False) for value in values]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None
    return values


_networks("TRUSTED_PROXIES", TRUSTED_PROXIES)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal.institutions",
    "portal.people",
    "portal.ledger",
    "portal.audit",
    "portal.signin",
    "portal.family",
    "portal.offsite",
    "portal.diseases",
    "portal.demo",
    "portal.ops",
    "portal.dashboards",
    "portal.qa",
    "portal.web",
    "vouchers",
    "payments",
    "payments.prescriptions",
    # Wagtail: the CMS where editors write and review policy Q&A (at /cms/).
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.users",
    "wagtail.sites",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "axes",  # lock-out after repeated wrong passwords at /admin/ and /cms/
    "csp",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username and address before checking
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign-in (admin and CMS): after AXES_FAILURE_LIMIT wrong passwords for a username from one address,
# that username is locked from that address for AXES_COOLOFF_MINUTES; a success clears the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1, maximum=50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.hygiene.staff_locked_out"
AXES_VERBOSE = False

MIDDLEWARE = [
    "portal.observability.logs.RequestContextMiddleware",  # the request id and actor, for every log line
    "portal.observability.metrics.MetricsMiddleware",  # requests by route and status, latency
    "django.middleware.security.SecurityMiddleware",
    "portal.hygiene.RequestHygieneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.hygiene.ContentSecurityPolicyMiddleware",
    "portal.hygiene.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "people.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.web.context.preferences",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL is None and not EMBEDDED:
    raise ImproperlyConfigured("DATABASE_URL is required in production (PostgreSQL).")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for a writer instead of failing at once; no persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # Tests on SQLite use a file, not shared memory, so that a live server thread and the test thread
    # each have their own connection and wait for each other's writes instead of failing "locked".
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so that two test runs on one machine never share one.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    # Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator) or a prepared statement
    # (the scan's, vouchers/prepared.py) may not outlive its connection: set DB_BEHIND_PGBOUNCER=true.
    DB_BEHIND_PGBOUNCER = env_bool("DB_BEHIND_PGBOUNCER", False)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_BEHIND_PGBOUNCER
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Tables that grow for years (portal.ops.partitions): on PostgreSQL partitioned by month, created
# PARTITION_MONTHS_AHEAD ahead by beat; `manage.py archive_partitions` writes each month entirely older
# than its retention to PARTITION_ARCHIVE_DIR, then drops it. Days; 0 keeps a table forever. The ledger
# is always kept (balances are sums of its entries), so it has no setting.
RETENTION_SCAN_SESSION_DAYS = env_int("RETENTION_SCAN_SESSION_DAYS", 180, minimum=0)
RETENTION_CHANNEL_NOTIFY_DAYS = env_int("RETENTION_CHANNEL_NOTIFY_DAYS", 3 * 365, minimum=0)
RETENTION_QA_SEARCH_DAYS = env_int("RETENTION_QA_SEARCH_DAYS", 365, minimum=0)
RETENTION_AUDIT_DAYS = env_int("RETENTION_AUDIT_DAYS", 0, minimum=0)  # the PIPL access log: kept by default
for _retention in ("RETENTION_SCAN_SESSION_DAYS", "RETENTION_CHANNEL_NOTIFY_DAYS", "RETENTION_QA_SEARCH_DAYS"):
    if 0 < globals()[_retention] < 31:
        raise ImproperlyConfigured(f"{_retention} must be 0 (forever) or at least 31 days.")
if 0 < RETENTION_AUDIT_DAYS < 180:  # the Cybersecurity Law asks for at least six months of logs
    raise ImproperlyConfigured("RETENTION_AUDIT_DAYS must be 0 (forever) or at least 180 days.")
PARTITION_MONTHS_AHEAD = env_int("PARTITION_MONTHS_AHEAD", 3, minimum=1, maximum=24)
PARTITION_ARCHIVE_DIR = env_str("PARTITION_ARCHIVE_DIR", str(BASE_DIR / "artifacts" / "archive") if EMBEDDED else None)
# How long the one-time guards are kept (a code is valid ~1 minute; the channel retries a notify ~1 day).
SCAN_NONCE_KEEP_HOURS = env_int("SCAN_NONCE_KEEP_HOURS", 48, minimum=1)
NOTIFY_DEDUP_DAYS = env_int("NOTIFY_DEDUP_DAYS", 30, minimum=2)

# --- Cache and Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL is None and not EMBEDDED:
    raise ImproperlyConfigured("REDIS_URL is required in production (cache and Celery broker).")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal") or "portal",
            # A hung Redis costs a request seconds, not a worker thread for ever.
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_IMPORTS = ["portal.tasks"]
# How often beat looks for late online orders and undelivered hospital events, and when an order counts as
# late (its notify overdue). Shorter only to watch the real worker and beat at work (tests, demos).
LATE_ORDERS_EVERY_SECONDS = env_int("LATE_ORDERS_EVERY_SECONDS", 60, minimum=1, maximum=3600)
ONLINE_ORDER_LATE_AFTER_SECONDS = env_int("ONLINE_ORDER_LATE_AFTER_SECONDS", 120, minimum=0, maximum=3600)
HOSPITAL_EVENTS_EVERY_SECONDS = env_int("HOSPITAL_EVENTS_EVERY_SECONDS", 60, minimum=1, maximum=3600)
# Hospitals' notify URLs (payments.online.hospital): https and public addresses only; plain http only in
# embedded mode; private networks only when listed (e.g. a government intranet, or loopback for demos).
HOSPITAL_NOTIFY_ALLOW_HTTP = EMBEDDED
HOSPITAL_NOTIFY_ALLOWED_NETWORKS = _networks(
    "HOSPITAL_NOTIFY_ALLOWED_NETWORKS", env_list("HOSPITAL_NOTIFY_ALLOWED_NETWORKS", [])
)
HOSPITAL_EVENT_RETRY_BASE_SECONDS = env_int("HOSPITAL_EVENT_RETRY_BASE_SECONDS", 10, minimum=1, maximum=3600)
CELERY_BEAT_SCHEDULE = {
    "expire-prescriptions": {
        "task": "payments.prescriptions.tasks.expire_prescriptions",
        "schedule": crontab(hour=0, minute=35),
    },
    "expire-disease-recognitions": {
        "task": "portal.diseases.tasks.expire_recognitions",
        "schedule": crontab(hour=0, minute=25),
    },
    "purge-expired-sign-in-codes": {
        "task": "portal.signin.tasks.purge_expired_challenges",
        "schedule": crontab(minute="*/15"),
    },
    "expire-overdue-family-bindings": {
        "task": "portal.family.tasks.expire_overdue_bindings",
        "schedule": crontab(minute=17),
    },
    "query-late-online-orders": {
        "task": "payments.online.query_late_orders",
        "schedule": timedelta(seconds=LATE_ORDERS_EVERY_SECONDS),
    },
    "process-pending-notifications": {
        "task": "payments.online.process_pending_notifications",
        "schedule": timedelta(seconds=LATE_ORDERS_EVERY_SECONDS),
    },
    "deliver-hospital-events": {
        "task": "payments.online.deliver_due_hospital_events",
        "schedule": timedelta(seconds=HOSPITAL_EVENTS_EVERY_SECONDS),
    },
    "reconcile-yesterday": {
        "task": "payments.online.reconcile_yesterday",
        "schedule": crontab(hour=10, minute=30),  # the channel's bill is ready after 10:00
    },
    "publish-scheduled-qa": {
        "task": "portal.qa.tasks.publish_scheduled",
        "schedule": crontab(minute="*"),  # Wagtail's scheduled publishing and expiry of Q&A entries
    },
    "sample-offsite-filings": {
        "task": "portal.offsite.tasks.sample_for_verification",
        "schedule": crontab(hour=1, minute=5),
    },
    "expire-offsite-filings": {
        "task": "portal.offsite.tasks.expire_filings",
        "schedule": crontab(hour=0, minute=15),
    },
    "check-invariants": {
        "task": "portal.ops.tasks.check_invariants",
        "schedule": crontab(hour=3, minute=30),  # nightly, after reconciliation's fixes and before the day
    },
    "maintain-partitions": {
        "task": "portal.ops.tasks.maintain_partitions",
        "schedule": crontab(hour=2, minute=40),  # months ahead exist long before they begin; old guards pruned
    },
    "expire-pending-family-holdings": {
        "task": "vouchers.tasks.expire_pending_holdings",
        "schedule": crontab(minute=23),
    },
    "rotate-voucher-signing-key": {
        "task": "vouchers.tasks.rotate_signing_key",
        "schedule": crontab(minute=7),  # hourly check; rotates once the key is a day old
    },
}

# --- Auth and sessions ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 7 * 24 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not EMBEDDED
CSRF_COOKIE_SECURE = not EMBEDDED
LANGUAGE_COOKIE_SECURE = not EMBEDDED
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"

# Resident sign-in with a one-time SMS code.
SMS_BACKEND = env_str("SMS_BACKEND", "portal.signin.sms.ConsoleSmsBackend" if EMBEDDED else None)
if SMS_BACKEND is None:
    raise ImproperlyConfigured("SMS_BACKEND is required in production.")
if not EMBEDDED and SMS_BACKEND in ("portal.signin.sms.ConsoleSmsBackend", "portal.signin.sms.LocmemSmsBackend"):
    raise ImproperlyConfigured(
        f"SMS_BACKEND={SMS_BACKEND} delivers nothing to a phone and is refused in production "
        "(use portal.signin.aliyun_sms.AliyunSmsBackend)."
    )
# Aliyun SMS (SMS_BACKEND=portal.signin.aliyun_sms.AliyunSmsBackend).
ALIYUN_SMS_ENDPOINT = env_str("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com") or ""
ALIYUN_SMS_ACCESS_KEY_ID = env_str("ALIYUN_SMS_ACCESS_KEY_ID", "") or ""
ALIYUN_SMS_ACCESS_KEY_SECRET = env_str("ALIYUN_SMS_ACCESS_KEY_SECRET", "") or ""
ALIYUN_SMS_SIGN_NAME = env_str("ALIYUN_SMS_SIGN_NAME", "医保服务") or ""
ALIYUN_SMS_CODE_TEMPLATE = env_str("ALIYUN_SMS_CODE_TEMPLATE", "") or ""
ALIYUN_SMS_NOTICE_TEMPLATE = env_str("ALIYUN_SMS_NOTICE_TEMPLATE", "") or ""
if SMS_BACKEND.endswith("AliyunSmsBackend") and not (
    ALIYUN_SMS_ACCESS_KEY_ID and ALIYUN_SMS_ACCESS_KEY_SECRET and ALIYUN_SMS_CODE_TEMPLATE
):
    raise ImproperlyConfigured(
        "ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET and ALIYUN_SMS_CODE_TEMPLATE are required "
        "with the Aliyun SMS backend."
    )
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300, minimum=60, maximum=900)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5, minimum=1, maximum=10)
OTP_RESEND_SECONDS = env_int("OTP_RESEND_SECONDS", 60, minimum=0)
# A new e-voucher signing key is in the JWKS this long before it signs, so terminals that refetch the keys
# in that time never see a code of a key they do not hold (docs/e-voucher-code.md).
VOUCHER_KEY_LEAD_SECONDS = env_int("VOUCHER_KEY_LEAD_SECONDS", 600, minimum=0)
OTP_MAX_PER_PHONE_PER_DAY = env_int("OTP_MAX_PER_PHONE_PER_DAY", 10, minimum=1)  # per phone and address
OTP_FREE_PER_PHONE = env_int("OTP_FREE_PER_PHONE", 3, minimum=1)  # a day, then a proof-of-work check first
OTP_FREE_PER_ADDRESS = env_int("OTP_FREE_PER_ADDRESS", 5, minimum=1)  # an hour, then the same
SMS_GLOBAL_PER_HOUR = env_int("SMS_GLOBAL_PER_HOUR", 50_000, minimum=1)
RESIDENT_TOKEN_TTL_SECONDS = env_int("RESIDENT_TOKEN_TTL_SECONDS", 30 * 24 * 3600, minimum=300)

# Cash payments: WeChat Pay (API v3) and Alipay (OpenAPI, RSA2), chosen per bill. Embedded mode and tests
# talk to the local stand-ins (`python -m payments.channels.wechatpay.standin`,
# `python -m payments.channels.alipay.standin`) with their development keys. CASH_CHANNELS lists the
# channels residents may choose, in the page's order.
CASH_CHANNELS = env_list("CASH_CHANNELS", ["wechatpay", "alipay"])
CASH_CHANNEL_BASE_URL = env_str("CASH_CHANNEL_BASE_URL", "http://127.0.0.1:8765" if EMBEDDED else None)
if CASH_CHANNEL_BASE_URL is None:
    raise ImproperlyConfigured("CASH_CHANNEL_BASE_URL is required in production (https://api.mch.weixin.qq.com).")
CASH_CHANNEL_DEV_KEYS = env_bool("CASH_CHANNEL_DEV_KEYS", EMBEDDED)
if CASH_CHANNEL_DEV_KEYS and not EMBEDDED:
    raise ImproperlyConfigured("CASH_CHANNEL_DEV_KEYS cannot be used in production.")
_MERCHANT = "" if CASH_CHANNEL_DEV_KEYS else REQUIRED  # the real merchant's settings are required then
WECHATPAY_MCHID = env_str("WECHATPAY_MCHID", _MERCHANT) or ""
WECHATPAY_APPID = env_str("WECHATPAY_APPID", _MERCHANT) or ""
WECHATPAY_MERCHANT_SERIAL = env_str("WECHATPAY_MERCHANT_SERIAL", _MERCHANT) or ""
WECHATPAY_MERCHANT_PRIVATE_KEY_FILE = env_str("WECHATPAY_MERCHANT_PRIVATE_KEY_FILE", _MERCHANT) or ""
WECHATPAY_PLATFORM_PUBLIC_KEYS = env_list("WECHATPAY_PLATFORM_PUBLIC_KEYS", [])  # serial=path.pem,...
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY", _MERCHANT) or ""
if not CASH_CHANNEL_DEV_KEYS and not WECHATPAY_PLATFORM_PUBLIC_KEYS:
    raise ImproperlyConfigured("WECHATPAY_PLATFORM_PUBLIC_KEYS is required in production (serial=path.pem).")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000" if EMBEDDED else None)
if PUBLIC_BASE_URL is None:
    raise ImproperlyConfigured("PUBLIC_BASE_URL is required in production (where channels send notifies).")
_ALIPAY = "" if CASH_CHANNEL_DEV_KEYS or "alipay" not in CASH_CHANNELS else REQUIRED
ALIPAY_BASE_URL = (
    env_str(
        "ALIPAY_BASE_URL", "http://127.0.0.1:8766/gateway.do" if EMBEDDED else "https://openapi.alipay.com/gateway.do"
    )
    or ""
)
ALIPAY_APP_ID = env_str("ALIPAY_APP_ID", _ALIPAY) or ""
ALIPAY_APP_PRIVATE_KEY_FILE = env_str("ALIPAY_APP_PRIVATE_KEY_FILE", _ALIPAY) or ""  # the app's RSA2 key (PEM)
ALIPAY_PUBLIC_KEY_FILE = env_str("ALIPAY_PUBLIC_KEY_FILE", _ALIPAY) or ""  # Alipay's public key (PEM)
# Each channel notifies its own route, /api/v1/payments/notify/<channel>; tests may point one elsewhere here.
PAYMENT_NOTIFY_URLS: dict[str, str] = {}
# Where paying sends the browser (the channel's H5 cashier): allowed by the pages' form-action policy.
PAYMENT_PAGE_ORIGINS = env_list(
    "PAYMENT_PAGE_ORIGINS", [] if CASH_CHANNEL_DEV_KEYS else ["https://wx.tenpay.com", "https://openapi.alipay.com"]
)

# Off-site filings: the share of new commitment filings picked for verification each day.
OFFSITE_VERIFICATION_SHARE = env_int("OFFSITE_VERIFICATION_PERCENT", 20, minimum=0, maximum=100) / 100

# Institution terminals: signed requests.
TERMINAL_SIGNATURE_MAX_AGE_SECONDS = env_int("TERMINAL_SIGNATURE_MAX_AGE_SECONDS", 300, minimum=30)
# Lookups of a person by identity number (estimates, bill uploads), per terminal and hour: audited, limited.
TERMINAL_LOOKUPS_PER_HOUR = env_int("TERMINAL_LOOKUPS_PER_HOUR", 600, minimum=1)

# Policy Q&A: the CMS, feedback limits and search.
WAGTAIL_SITE_NAME = "医保政策问答 / Policy Q&A"
WAGTAILADMIN_BASE_URL = PUBLIC_BASE_URL.rstrip("/")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no calls home from a bureau's network
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
QA_FEEDBACK_PER_HOUR = env_int("QA_FEEDBACK_PER_HOUR", 20, minimum=1)
QA_SEARCH_MAX_RESULTS = env_int("QA_SEARCH_MAX_RESULTS", 20, minimum=1, maximum=100)

# --- DRF and OpenAPI --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.signin.authentication.TerminalSignatureAuthentication",
        "portal.signin.authentication.ResidentTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.openapi.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.errors.api_exception_handler",
    # The API takes JSON; the few operations that take a file say so themselves (multipart). One media type
    # per operation keeps the document, and the clients generated from it, exact.
    "DEFAULT_PARSER_CLASSES": ["portal.hygiene.SafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {
        "otp_request": env_str("THROTTLE_OTP_REQUEST", "20/hour"),
        "otp_verify": env_str("THROTTLE_OTP_VERIFY", "60/hour"),
    },
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": 0,  # never trust X-Forwarded-For in DRF's own throttles (ours use portal.clientip)
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Medical-insurance e-voucher portal API",
    "DESCRIPTION": "医保电子凭证与居民服务平台: residents, institution terminals and staff.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["portal.openapi.only_public_api"],
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999}},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.openapi.error_envelope"],
    "ENUM_NAME_OVERRIDES": {"ItemCategoryEnum": "payments.benefits.engine.ITEM_CATEGORIES"},
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # zh-hans is the source language; en.po from `manage.py i18n_catalogue`
USE_TZ = True

# --- Browser policies (portal.hygiene) --------------------------------------------------
# Residents' pages and the API: only our own files, and inline scripts and styles that carry the
# response's nonce (staff tools get 'unsafe-inline' for theirs: portal.hygiene).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],  # the code page shows each new code from a fetched blob
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Request sizes (portal.hygiene) -----------------------------------------------------
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 512 * 1024, minimum=16 * 1024)  # JSON and forms
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024 * 1024)  # multipart (proofs)
NOTIFY_MAX_BYTES = env_int("NOTIFY_MAX_BYTES", 16 * 1024, minimum=4 * 1024)  # payment-channel notifies
NOTIFY_PER_MINUTE_PER_ADDRESS = env_int("NOTIFY_PER_MINUTE_PER_ADDRESS", 1200, minimum=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Static and uploaded files ----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")) or BASE_DIR / "media")

# --- Security (production) --------------------------------------------------------------
if not EMBEDDED:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging, metrics, readiness (portal/observability) ---------------------------------------
# JSON lines (with the request id and the actor, never an identity number, phone number or code) in
# production; plain readable lines in embedded mode.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain" if EMBEDDED else "json", ("plain", "json"))
LOG_LEVEL = env_str("LOG_LEVEL", "INFO") or "INFO"
LOGGING = logging_config(json=LOG_FORMAT == "json", level=LOG_LEVEL)
# The request id: a caller's X-Request-ID when it is sane (portal.observability.logs checks it first), else new.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# Prometheus scrapes /metrics with this bearer token; empty: /metrics answers loopback addresses only.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# /readyz: beat counts as down when it has sent nothing for this long (its most frequent job runs every minute).
READYZ_BEAT_MAX_AGE_SECONDS = env_int("READYZ_BEAT_MAX_AGE_SECONDS", 180)
