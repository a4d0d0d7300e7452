"""Security on every response: headers, trusted proxies, cookie flags, and the secret key check."""

import click
from flask import Flask, Response, abort, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ..config import DEV_SECRET_KEY
from .http import MAX_ID, MAX_QUERY_NUMBER

# The site's own pages use no inline script or style, so the policy can be strict.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class DatabaseInteger(IntegerConverter):
    """<int:...> in addresses, up to the largest id a database column holds: a longer number is
    a 404, not an overflow inside the database driver."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_impossible_value(path: str, args) -> bool:
    """Whether the address holds what no page or row can: a NUL character (PostgreSQL text cannot
    hold it) or a number beyond any page or id (?page=99999999999999999999)."""
    if "\x00" in path or any("\x00" in v for v in args.values()):
        return True
    return any(v.isascii() and v.isdigit() and int(v) > MAX_QUERY_NUMBER for v in args.values())


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)


def check_secret_key(app: Flask) -> None:
    """Warn about the development key; refuse to serve with it outside debug mode. The CLI's
    tasks may use it (`flask init` is what replaces it), but not `flask run`: anyone who knows
    the public key can forge a session."""
    if app.config["SECRET_KEY"] != DEV_SECRET_KEY:
        return
    message = "SECRET_KEY is the development default: run `flask --app app init` to set a real one."
    command = click.get_current_context(silent=True)
    if not (app.debug or app.testing):
        if command is None:
            raise RuntimeError(message)
        if command.info_name == "run":
            raise click.ClickException(message + " (or serve with --debug, on this machine only)")
    warned = []

    @app.before_request
    def warn_about_the_development_key() -> None:
        # On the first page served, not when the app is built: `flask init`, which writes the
        # real key, would otherwise tell the user to run itself.
        if not warned:
            warned.append(True)
            app.logger.warning(message)


def init_app(app: Flask) -> None:
    check_secret_key(app)
    app.url_map.converters["int"] = DatabaseInteger  # before any blueprint adds its routes
    app.session_interface = SessionInterface()
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def refuse_oversized_bodies() -> None:
        # Werkzeug refuses a large body only when a view reads the form: refuse it up front, so
        # that no route (one that redirects before reading, say) takes it in silently. Only a
        # multipart body carries files; any other (a urlencoded form, JSON) is one field held in
        # memory at once, limited as a multipart field is. Chunked bodies, which announce no
        # length, stop at the same limit as they are read.
        limits = [app.config["MAX_CONTENT_LENGTH"]]
        if request.mimetype != "multipart/form-data":
            limits.append(app.config["MAX_FORM_MEMORY_SIZE"])
        limit = min((n for n in limits if n is not None), default=None)
        request.max_content_length = limit
        if limit is not None and (request.content_length or 0) > limit:
            abort(413)

    @app.before_request
    def refuse_impossible_addresses() -> None:
        # Like DatabaseInteger for paths: a 404 here rather than an error inside the driver.
        if has_impossible_value(request.path, request.args):
            abort(404)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # Only over HTTPS: a browser ignores it over HTTP, and there a forger could send it.
        if app.config["HSTS_SECONDS"] and request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={int(app.config['HSTS_SECONDS'])}"
            )
        return response
