"""Built-in configuration defaults, safe for local use; overridden by instance/config.py and CMS_* variables."""

# Replaced by `flask --app app init`, which writes a random key into instance/config.py.
# The app warns about this value, and refuses to serve with it outside debug mode.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 -- a known value, refused in production
SECRET_KEY = DEV_SECRET_KEY

# A relative SQLite path lands in the instance folder.
SQLALCHEMY_DATABASE_URI = "sqlite:///causerie.sqlite3"
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Request size limits: uploads (whole request) and form fields kept in memory.
MAX_CONTENT_LENGTH = 12 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# False here: the cookie is still marked Secure whenever the request came over HTTPS.
SESSION_COOKIE_SECURE = False
WTF_CSRF_TIME_LIMIT = (
    None  # the token lives as long as the session: long writing sessions stay valid
)

# How many reverse proxies sit in front of the app. 0 trusts no X-Forwarded-* header,
# so nobody can fake their address to dodge a rate limit.
PROXY_COUNT = 0

# Login throttling: failed attempts allowed per window, per client address and per account.
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_ATTEMPTS_PER_CLIENT = 10
LOGIN_ATTEMPTS_PER_ACCOUNT = 10

BABEL_DEFAULT_LOCALE = "en"
LANGUAGES = {"en": "English", "fr": "Français"}

FEED_SIZE = 20
