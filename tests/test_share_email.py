"""E-mail: a digest as one multipart message, against a real SMTP server on 127.0.0.1."""

import socket
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pkm.config import ShareSettings
from pkm.share.email import EmailError, Mail, build_message, send

MAIL = Mail(
    sender="ada@example.org",
    to=("team@example.org",),
    subject="What I learned: 2026-W48",
    text="# What I learned\n\n> a quote\n",
    html="<!doctype html><title>x</title><blockquote>a quote</blockquote>",
)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
    if isinstance(data, LoginPassword) and data.password == b"right":
        return AuthResult(success=True)
    # handled=False: aiosmtpd is to send the refusal (its default is that we did).
    return AuthResult(success=False, handled=False, message="535 5.7.8 Credentials invalid")


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, ShareSettings]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, ShareSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    finally:
        controller.stop()


def test_the_digest_arrives_as_text_and_html(smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, settings = smtp
    send(build_message(MAIL), settings)
    (message,) = inbox.messages
    assert message["Subject"] == MAIL.subject and message["To"] == "team@example.org"
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
    assert parts == ["text/plain", "text/html"]


def test_a_login_is_used_when_a_user_is_set(smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, settings = smtp
    send(build_message(MAIL), replace(settings, smtp_user="ada", smtp_password="right"))
    assert len(inbox.messages) == 1


def test_a_refused_login_never_shows_the_password(smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, settings = smtp
    with pytest.raises(EmailError) as e:
        send(build_message(MAIL), replace(settings, smtp_user="ada", smtp_password="s3cret"))
    assert "refused the login" in str(e.value) and "s3cret" not in str(e.value)
    assert inbox.messages == []


def test_starttls_that_the_server_does_not_offer_is_an_error(smtp) -> None:  # type: ignore[no-untyped-def]
    _, settings = smtp
    with pytest.raises(EmailError, match="does not offer STARTTLS"):
        send(build_message(MAIL), replace(settings, smtp_security="starttls"))


def test_no_server_is_a_clear_error() -> None:
    settings = ShareSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    with pytest.raises(EmailError, match=r"cannot connect to the SMTP server 127\.0\.0\.1"):
        send(build_message(MAIL), settings, timeout=2)


def test_an_unknown_security_setting_is_named() -> None:
    with pytest.raises(EmailError, match="smtp_security"):
        send(build_message(MAIL), ShareSettings(smtp_security="ssl"))


def test_pkm_share_email_sends_the_week(run, home, smtp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inbox, settings = smtp
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text(
        f'[share]\nauthor = "Ada"\nsmtp_host = "127.0.0.1"\nsmtp_port = {settings.smtp_port}\n'
        'smtp_security = "none"\nsmtp_user = "ada"\n'
    )
    monkeypatch.setenv("PKM_SHARE_SMTP_PASSWORD", "right")
    result = run("share", "email", "--to", "Team <team@example.org>", "--week", "2026-W05")
    assert "sent the digest 2026-W05" in result.stderr and "right" not in result.stderr
    (message,) = inbox.messages
    assert message["Subject"] == "Ada: what I learned, 2026-W05"
    assert message["From"] == "Ada@localhost"
    bad = run("share", "email", "--to", "team@example.org\nBcc: x@evil.example", code=1)
    assert "not an e-mail address" in bad.stderr
