"""Email through a real SMTP server: plain, STARTTLS with a login, implicit TLS; refusals named;
`vitrine notifications test EMAIL`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.notifications.smtp_server import PASSWORD, USER, smtp_server
from vitrine.cli import app
from vitrine.notifications.senders import Notification, SendFailed, SmtpSender

HELLO = Notification("email", "shopper@example.com", "Hello", "Plain text", "<p>Hello</p>")


def test_plain_smtp_delivers_text_and_html() -> None:
    with smtp_server() as server:
        sender = SmtpSender(server.host, server.port, "Vitrine <shop@example.com>", "none")
        sender.send(HELLO)
    [received] = server.mailbox.received
    assert server.mailbox.recipients == [["shopper@example.com"]]
    assert received["Subject"] == "Hello" and received["From"] == "Vitrine <shop@example.com>"
    assert received.get_body(("plain",)).get_content().strip() == "Plain text"  # type: ignore[union-attr]
    assert "<p>Hello</p>" in received.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_starttls_with_a_login(tmp_path: Path) -> None:
    with smtp_server("starttls", tmp_path) as server:
        common = {"host": server.host, "port": server.port, "from_address": "shop@example.com"}
        good = SmtpSender(**common, username=USER, password=PASSWORD, ca_file=str(server.ca_file))
        good.send(HELLO)
        wrong = SmtpSender(**common, username=USER, password="nope", ca_file=str(server.ca_file))
        with pytest.raises(SendFailed, match="535"):
            wrong.send(HELLO)
        untrusted = SmtpSender(**common, username=USER, password=PASSWORD)
        with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.send(HELLO)
        plain = SmtpSender(**common, security="none")
        with pytest.raises(SendFailed, match="STARTTLS"):
            plain.send(HELLO)  # the relay insists on encryption
    assert len(server.mailbox.received) == 1


def test_implicit_tls(tmp_path: Path) -> None:
    with smtp_server("tls", tmp_path) as server:
        sender = SmtpSender(
            server.host, server.port, "shop@example.com", "tls", ca_file=str(server.ca_file)
        )
        sender.send(HELLO)
    assert [m["Subject"] for m in server.mailbox.received] == ["Hello"]


def test_a_relay_that_does_not_answer_is_named() -> None:
    sender = SmtpSender("127.0.0.1", 1, "shop@example.com", "none", timeout=2)
    with pytest.raises(SendFailed, match=re.escape("SMTP 127.0.0.1:1")):
        sender.send(HELLO)


def test_the_cli_sends_a_test_email(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runner = CliRunner()
    no_sender = runner.invoke(app, ["--data-dir", str(tmp_path), "notifications", "test", "a@b.fr"])
    assert no_sender.exit_code == 1 and "VITRINE_SMTP_HOST" in no_sender.output
    bad = runner.invoke(app, ["--data-dir", str(tmp_path), "notifications", "test", "nobody"])
    assert bad.exit_code == 2 and "is not an email address" in bad.output
    with smtp_server() as server:
        monkeypatch.setenv("VITRINE_SMTP_HOST", server.host)
        monkeypatch.setenv("VITRINE_SMTP_PORT", str(server.port))
        monkeypatch.setenv("VITRINE_SMTP_SECURITY", "none")
        monkeypatch.setenv("VITRINE_SMTP_FROM", "Vitrine <shop@example.com>")
        args = ["--data-dir", str(tmp_path), "notifications", "test", "me@example.com"]
        sent = runner.invoke(app, [*args, "--language", "fr"])
    assert sent.exit_code == 0, sent.output
    assert "test email sent to me@example.com" in sent.output
    assert [m["Subject"] for m in server.mailbox.received] == ["Un message de test de Vitrine"]


def test_smtp_host_without_a_from_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from vitrine.settings import Settings

    with pytest.raises(ValueError, match="VITRINE_SMTP_FROM"):
        Settings(smtp_host="relay.example.com")
