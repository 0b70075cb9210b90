"""Django settings for calmdesk.  All knobs come from the environment (see project/config.py)."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from calmdesk.project.config import (
    data_dir,
    database_settings,
    env_bool,
    env_list,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("CALMDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("CALMDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CALMDESK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page's Swagger UI from our static files (no CDN)
    "calmdesk.desk",
    "calmdesk.training",
    "calmdesk.channels",
    "calmdesk.reports",
    "calmdesk.connectors",
    "calmdesk.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "calmdesk.desk.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "calmdesk.desk.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "calmdesk.project.urls"
WSGI_APPLICATION = "calmdesk.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_settings(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "desk.User"
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:case_list"
LOGOUT_REDIRECT_URL = "desk:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- languages: en, pl, Serbian Cyrillic (sr) and Latin (sr-latn), Hebrew (right to left) ---
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pl", _("Polish")),
    ("sr", _("Serbian (Cyrillic)")),
    ("sr-latn", _("Serbian (Latin)")),
    ("he", _("Hebrew")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded files live in the data folder, outside any web root; they are served only through
# a view that checks access and sets Content-Disposition: attachment (THREATS.md row 2).
# CALMDESK_MEDIA_DIR: shared storage (NFS, a mounted volume) when web processes and task
# workers run on several hosts: raw inbound mail and attachments live here.
MEDIA_ROOT = (
    Path(os.environ["CALMDESK_MEDIA_DIR"]).expanduser()
    if os.environ.get("CALMDESK_MEDIA_DIR")
    else DATA_DIR / "uploads"
)
MEDIA_URL = "/attachments/"  # never served directly
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_NUMBER_FILES = 20
CALMDESK_MAX_ATTACHMENT_BYTES = int(os.environ.get("CALMDESK_MAX_ATTACHMENT_BYTES", 25 * 2**20))
CALMDESK_MAX_INBOUND_EMAIL_BYTES = int(
    os.environ.get("CALMDESK_MAX_INBOUND_EMAIL_BYTES", 25 * 2**20)
)
# Helpdesk connectors (docs/connectors.md): webhook size limit, networks (CIDR) outbound HTTP
# may reach even when private (an explicit decision; default none).
CALMDESK_MAX_WEBHOOK_BYTES = int(os.environ.get("CALMDESK_MAX_WEBHOOK_BYTES", 2**20))
CALMDESK_OUTBOUND_ALLOW = env_list("CALMDESK_OUTBOUND_ALLOW", [])
# /healthz fails when a task has waited longer than this (seconds): workers down or behind.
CALMDESK_HEALTH_TASK_AGE = int(os.environ.get("CALMDESK_HEALTH_TASK_AGE", 900))
# Inbound email phase 2 (parse, file, crisis check) in the task workers instead of the
# process that received the message (web request, IMAP poller); see docs/deploy.md.
CALMDESK_INBOUND_DEFER = env_bool("CALMDESK_INBOUND_DEFER", False)

# --- background tasks: django-tasks API, database backend (SQLite or PostgreSQL) ---
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CALMDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- security headers and cookies ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("CALMDESK_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("CALMDESK_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = os.environ.get(
    "CALMDESK_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("CALMDESK_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CALMDESK_SMTP_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("CALMDESK_FROM_EMAIL", "calmdesk@localhost")
EMAIL_FILE_PATH = os.environ.get("CALMDESK_EMAIL_FILE_PATH", str(DATA_DIR / "outbox"))
EMAIL_TIMEOUT = int(os.environ.get("CALMDESK_SMTP_TIMEOUT", "30"))

# Links in emails (satisfaction check, alerts) point here; Message-IDs use the mail domain.
CALMDESK_BASE_URL = os.environ.get("CALMDESK_BASE_URL", "http://127.0.0.1:8000")
CALMDESK_MAIL_DOMAIN = os.environ.get("CALMDESK_MAIL_DOMAIN", "calmdesk.local")
# A folder with the organization's own crisis protocols (<lang>.yaml), replacing the defaults.
CALMDESK_CRISIS_PROTOCOL_DIR = os.environ.get("CALMDESK_CRISIS_PROTOCOL_DIR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CALMDESK_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_MAX_LIMIT = 200
