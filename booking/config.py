"""Settings from the environment, each with an embedded default (docs/contract.md §2)."""
from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(ValueError):
    """A setting has a value we cannot use."""


def parse_durations(text: str) -> list[timedelta]:
    """Parse "24h,1h" into timedeltas, largest first; raise ConfigError on junk."""
    result = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _DURATION.match(part)
        if not match:
            raise ConfigError(f"bad duration {part.strip()!r}: use a number and one of s, m, h, d")
        result.append(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return sorted(set(result), reverse=True)


def _secret_key(instance: Path) -> str:
    """Read the instance's secret key, writing a new one the first time."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def parse_proxy_count(text: str) -> int:
    """How many reverse proxies stand in front of the app (their X-Forwarded-* headers are trusted)."""
    value = (text or "0").strip()
    if not value.isdigit() or int(value) > 10:
        raise ConfigError(f"bad ONESTOP_PROXY_COUNT {text!r}: the number of proxies in front of OneStop, 0 to 10")
    return int(value)


def check_base_url(text: str) -> str:
    """ONESTOP_BASE_URL, when given, is where people reach the site: http(s)://host[:port][/path]."""
    value = (text or "").strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"bad ONESTOP_BASE_URL {text!r}: the site's address, e.g. https://onestop.example.org")
    return value.rstrip("/")


def load_config(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config from ONESTOP_* environment variables."""
    env = os.environ if environ is None else environ
    instance = Path(env.get("ONESTOP_INSTANCE", "instance")).resolve()
    check_base_url(env.get("ONESTOP_BASE_URL", ""))  # read where used (booking.notify.settings); checked here
    return {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": env.get("ONESTOP_DATABASE_URL")
        or f"sqlite:///{instance / 'onestop.db'}",
        "ONESTOP_INDEX_DIR": env.get("ONESTOP_INDEX_DIR") or str(instance / "index"),
        "ONESTOP_MAIL_URL": env.get("ONESTOP_MAIL_URL") or f"outbox://{instance / 'outbox'}",
        "ONESTOP_REMINDER_OFFSETS": parse_durations(env.get("ONESTOP_REMINDER_OFFSETS", "24h,1h")),
        "SECRET_KEY": env.get("ONESTOP_SECRET_KEY") or None,
        # 0: X-Forwarded-For/-Proto/-Host are ignored (anyone can send them); n: trust the last n proxies.
        "ONESTOP_PROXY_COUNT": parse_proxy_count(env.get("ONESTOP_PROXY_COUNT", "0")),
    }


def ensure_secret_key(config: dict[str, Any]) -> None:
    """Fill SECRET_KEY from the instance folder when no setting gave one."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(Path(config["INSTANCE_PATH"]))
