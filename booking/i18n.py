"""Which language a request is answered in: ?lang=, then the session, the account, the browser."""
from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

LANGUAGES = ("zh", "en")


def select_locale() -> str | None:
    if not has_request_context():
        return None  # jobs and the CLI: the default, or what force_locale() chose
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return lang
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if getattr(current_user, "is_authenticated", False) and current_user.language in LANGUAGES:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or "zh"
