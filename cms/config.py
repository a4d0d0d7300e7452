"""Built-in configuration defaults, safe for local use; overridden by instance/config.py and CMS_* variables."""

# Replaced by `flask --app app init`, which writes a random key into instance/config.py.
# The app warns about this value, and refuses to serve with it outside debug mode.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 -- a known value, refused in production
SECRET_KEY = DEV_SECRET_KEY

# A relative SQLite path lands in the instance folder.
SQLALCHEMY_DATABASE_URI = "sqlite:///causerie.sqlite3"
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
# SQLite's durability at each commit. "FULL" writes every commit to the disk before the visitor
# is answered, so it survives a power cut. "NORMAL" takes more writes per second (bench/ measures
# both) and loses nothing when the process crashes, but the last commits before a power cut or an
# operating-system crash may roll back, after the visitor was told they were saved.
SQLITE_SYNCHRONOUS = "FULL"

# /healthz and `flask check` report the site unhealthy (503, a non-zero exit) when the database
# refuses a write or the filesystem of the database (its WAL beside it) or of the uploads has less
# than HEALTH_MIN_FREE_MB free; `check` warns under CHECK_MIN_FREE_MB.
HEALTH_MIN_FREE_MB = 100
CHECK_MIN_FREE_MB = 1024

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

# Strict-Transport-Security on answers over HTTPS, for that many seconds (a year: 31536000); 0
# sends none. deploy/nginx.conf sends it itself once TLS is on: set this when the app is served
# over HTTPS some other way. Browsers then refuse plain HTTP to the site for that long.
HSTS_SECONDS = 0

# How many reverse proxies sit in front of the app. 0 trusts no X-Forwarded-* header,
# so nobody can fake their address to dodge a rate limit.
PROXY_COUNT = 0

# Login throttling, per account and client network (an address, an IPv6 /64): after
# LOGIN_FREE_ATTEMPTS wrong passwords each attempt waits twice as long as the last (1 s, 2 s,
# 4 s… up to LOGIN_LONGEST_WAIT_SECONDS); the right password clears it. Other networks are never
# slowed, so nobody elsewhere can lock the author out. Over all accounts, one network gets
# LOGIN_ATTEMPTS_PER_CLIENT attempts in LOGIN_WINDOW_SECONDS.
LOGIN_FREE_ATTEMPTS = 3
LOGIN_LONGEST_WAIT_SECONDS = 15 * 60
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_ATTEMPTS_PER_CLIENT = 30

BABEL_DEFAULT_LOCALE = "en"
# The languages a site can be written in, each named in itself: the settings form offers these
# and og:locale is derived from the code. Adding one touches this list and the catalogues only
# (`pybabel init -l CODE`; tests/kernel/test_i18n.py's PLURAL_FORMS states the gettext rule to expect).
# Typography and footnote titles are French or English (cms/markup), not a list of languages.
LANGUAGES = {"en": "English", "fr": "Français"}

FEED_SIZE = 20

# Comments: how many show per page of a post, and the per-client spam defences. Twenty keep a
# long post with its first page of comments under 40 KiB of HTML and CSS (bench/README.md).
COMMENTS_PER_PAGE = 20
# A comment form sent back faster than this after it was served is a robot's (0 turns it off).
COMMENT_MIN_SECONDS = 3
# Comments per client address per window (0 turns the limit off).
COMMENT_RATE_LIMIT = 5
COMMENT_RATE_WINDOW = 60

# Images uploaded from the editor: the largest file accepted (the whole request is capped by
# MAX_CONTENT_LENGTH above, which must stay larger).
UPLOAD_MAX_BYTES = 8 * 1024 * 1024
# Pixels an image may have: a 50-megapixel phone photo passes; an 81-megapixel PNG of a few
# kilobytes would cost every reader's browser hundreds of megabytes to draw.
UPLOAD_MAX_PIXELS = 50_000_000
# How long a private preview link for a draft keeps working, in seconds.
PREVIEW_LINK_MAX_AGE = 7 * 24 * 3600
# Autosaves nobody restored are deleted after this many days (revisions are kept for good).
AUTOSAVE_MAX_AGE_DAYS = 30

# Page cache (cms/cache/): anonymous public pages kept as bytes in each worker, checked
# against the content version on every request. False renders every page (for measurements).
CACHE_PAGES = True
PAGE_CACHE_MAX_BYTES = 4 * 1024 * 1024
# Query arguments a cached page may carry (pagination); any other one is rendered afresh.
PAGE_CACHE_QUERY_ARGS = ("page",)
# Seconds browsers and the nginx micro-cache may reuse a public page without asking again.
PAGE_MAX_AGE = 5
