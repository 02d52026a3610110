"""Security headers on every answer, and cookie flags that follow the request's scheme.

No inline script runs anywhere: behaviour lives in booking/static/app.js, driven by data attributes,
so the Content-Security-Policy can refuse every script that is not a file of this site. Styles
may stay inline (`style="…"` attributes in templates and mail previews); they cannot run code.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _with_flags(cookie: str, secure: bool) -> str:
    """A Set-Cookie value with HttpOnly and SameSite=Lax (unless set), and Secure on https."""
    attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
    if "httponly" not in attributes:
        cookie += "; HttpOnly"
    if "samesite" not in attributes:
        cookie += "; SameSite=Lax"
    if secure and "secure" not in attributes:
        cookie += "; Secure"
    return cookie


class CookieFlags:
    """WSGI middleware: every cookie the app sets (session, remember-me, anything later) is HttpOnly
    and SameSite=Lax, and Secure when the request came over https. It sits inside ProxyFix, so
    `wsgi.url_scheme` is already the client's scheme when a trusted proxy said so; a plain-http
    development server keeps working."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, _with_flags(value, secure) if name.lower() == "set-cookie" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, start)


def init_security(app: Flask) -> None:
    """Headers on every response (pages, the API, static files, error pages) and cookie flags."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.after_request(add_security_headers)
    app.wsgi_app = CookieFlags(app.wsgi_app)  # type: ignore[method-assign]
    proxies = int(app.config.get("ONESTOP_PROXY_COUNT") or 0)
    if proxies:
        # Only behind proxies the operator declared: X-Forwarded-* from anyone else would let a
        # client choose its own address (and so escape the log-in throttle).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
