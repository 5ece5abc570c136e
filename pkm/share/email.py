"""Sending a digest by e-mail: one multipart message (plain text and HTML) over SMTP.

The password is read from the settings (better: PKM_SHARE_SMTP_PASSWORD in the
environment) and never appears in a message pkm prints: an SMTP error names the server
and the step, not the credentials.
"""

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from pkm.config import ShareSettings
from pkm.errors import InvalidInputError, PkmError

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.models import Period

SECURITY = ("starttls", "tls", "none")


class EmailError(PkmError):
    """The message could not be sent."""


@dataclass(frozen=True)
class Mail:
    """A digest as a message: `text` is its Markdown, `html` its standalone HTML."""

    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str


def build_message(mail: Mail, *, date: float | None = None) -> EmailMessage:
    """multipart/alternative: the Markdown first, for mail readers that show only text."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(date, localtime=False)
    message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or "localhost")
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def send(message: EmailMessage, settings: ShareSettings, *, timeout: float = 30.0) -> None:
    """Send over SMTP as `settings` say (STARTTLS, SMTPS or plain; a login if a user is set).

    Raises:
        EmailError: the server refused, the connection failed, or the settings are wrong.
    """
    security = settings.smtp_security.lower()
    if security not in SECURITY:
        raise EmailError(
            f"[share] smtp_security must be one of {', '.join(SECURITY)}, got {security!r}"
        )
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    step = "connect"
    try:
        smtp: smtplib.SMTP
        if security == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if security == "starttls":
                step = "STARTTLS"
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                step = "login"
                smtp.login(settings.smtp_user, settings.smtp_password)
            step = "send"
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise EmailError(
            f"the SMTP server {where} refused the login of {settings.smtp_user!r}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise EmailError(f"the SMTP server {where} does not offer {step}") from None
    except smtplib.SMTPException as e:
        raise EmailError(f"SMTP {step} failed at {where}: {_reason(e)}") from None
    except (OSError, ssl.SSLError) as e:
        raise EmailError(f"cannot {step} to the SMTP server {where}: {e.strerror or e}") from None


def _reason(e: smtplib.SMTPException) -> str:
    """The server's reply on one line (never the credentials: pkm sent them, it did not)."""
    if isinstance(e, smtplib.SMTPResponseException):
        text = (
            e.smtp_error.decode("utf-8", "replace")
            if isinstance(e.smtp_error, bytes)
            else str(e.smtp_error)
        )
        return f"{e.smtp_code} {' '.join(text.split())}"
    return " ".join(str(e).split()) or type(e).__name__


def _address(value: str) -> str:
    """An address as given, checked: one `name@host`, nothing that could add a header."""
    from email.utils import parseaddr

    _, address = parseaddr(value)
    if "@" not in address or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInputError(f"not an e-mail address: {value!r}")
    return value


def email_digest(pkm: "Pkm", period: "Period", to: Sequence[str]) -> Mail:
    """Build the digest of `period`, and send it to `to` as Markdown and HTML."""
    from pkm.share.digest import build_digest
    from pkm.share.render import render_digest

    recipients = tuple(_address(a) for a in to)
    author = pkm.author
    settings = pkm.settings.share
    digest = build_digest(pkm, period, author=author)
    mail = Mail(
        sender=_address(settings.email_from or f"{author}@localhost"),
        to=recipients,
        subject=f"{author}: what I learned, {period.label}",
        text=render_digest(pkm, digest, "md"),
        html=render_digest(pkm, digest, "html"),
    )
    send(build_message(mail), settings)
    return mail
