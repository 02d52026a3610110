"""Mail transports, chosen by ONESTOP_MAIL_URL: SMTP (standard library) or an outbox folder.

A transport opens one connection for a batch of messages (`with transport.connect() as send:`);
`send(sender, recipients, data, message_id)` delivers one message or raises:
- `MessageRefused` when the server refused this message (the connection stays usable);
- `OSError` / `smtplib.SMTPException` when the connection itself failed (the rest of the batch
  is retried later).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

Send = Callable[[str, list[str], bytes, str], None]


class MailConfigError(ValueError):
    """ONESTOP_MAIL_URL cannot be used."""


class MessageRefused(Exception):
    """The server refused one message; `permanent` when retrying cannot help (a 5xx answer)."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 15.0
    cafile: str | None = None

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile or None)

    @contextmanager
    def connect(self) -> Iterator[Send]:
        smtp: smtplib.SMTP
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not self.use_ssl and smtp.has_extn("starttls"):
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")

            def send(sender: str, recipients: list[str], data: bytes, message_id: str) -> None:
                try:
                    refused = smtp.sendmail(sender, recipients, data)
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    raise MessageRefused(_describe(exc.recipients), all(c >= 500 for c in codes)) from exc
                except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                    raise MessageRefused(f"{exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code >= 500) from exc
                if refused:  # some of several recipients refused: we send one recipient a message
                    raise MessageRefused(_describe(refused), permanent=True)

            yield send
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in refused.items())


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_filename(message_id: str) -> str:
    """The file a message is written to: named by its Message-ID, so a resend replaces it."""
    return _UNSAFE.sub("_", message_id.strip("<>")).strip("._")[:150] + ".eml"


@dataclass(frozen=True)
class OutboxTransport:
    """One .eml file a message, in a folder (development: read them at /admin/outbox)."""

    directory: Path

    @contextmanager
    def connect(self) -> Iterator[Send]:
        self.directory.mkdir(parents=True, exist_ok=True)

        def send(sender: str, recipients: list[str], data: bytes, message_id: str) -> None:
            target = self.directory / outbox_filename(message_id)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)  # readers never see half a message
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

        yield send


Transport = SmtpTransport | OutboxTransport


def transport_from_url(url: str, *, timeout: float = 15.0, cafile: str | None = None) -> Transport:
    """`smtp://host:port`, `smtps://user:pass@host:port` or `outbox://DIR`."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "outbox":
        if not rest:
            raise MailConfigError("outbox:// needs a folder, e.g. outbox:///var/lib/onestop/outbox")
        return OutboxTransport(Path(rest))
    if scheme not in ("smtp", "smtps"):
        raise MailConfigError(f"unknown mail URL scheme {scheme!r}: use smtp://, smtps:// or outbox://")
    parts = urlsplit(url)
    if not parts.hostname:
        raise MailConfigError(f"{scheme}:// needs a host, e.g. {scheme}://mail.example.org:587")
    try:
        port = parts.port or (465 if scheme == "smtps" else 25)
    except ValueError as exc:
        raise MailConfigError(f"bad port in mail URL: {exc}") from None
    return SmtpTransport(
        host=parts.hostname, port=port, use_ssl=scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout, cafile=cafile,
    )
