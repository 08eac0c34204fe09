"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1): plain, STARTTLS with a login, or
implicit TLS, with a self-signed certificate made here; it keeps what arrives."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "shop", "relay-password"


@dataclass
class Mailbox:
    """What the server accepted; `reject` makes it refuse every message (a broken relay)."""

    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    reject: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject:
            return "554 5.7.1 rejected by the test relay"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    ca_file: Path | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)


@contextmanager
def smtp_server(security: str = "none", directory: Path | None = None) -> Iterator[SmtpServer]:
    """`none`: plain SMTP; `starttls`: STARTTLS and a login required; `tls`: implicit TLS."""
    mailbox, port = Mailbox(), _free_port()
    kwargs: dict[str, Any] = {}
    ca_file = None
    if security != "none":
        assert directory is not None
        ca_file, key_file = self_signed(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(ca_file, key_file)
        if security == "starttls":
            kwargs |= {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "authenticator": _authenticate,
            }
        else:
            kwargs |= {"ssl_context": context, "server_hostname": "localhost"}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("localhost", port, mailbox, ca_file)
    finally:
        controller.stop()


def decode_qr(png: bytes) -> str:
    """The text of the QR code in a picture ('' if none is found).

    OpenCV's classic detector misses about one perfect QR in fifty; the ArUco-based one and a
    half-size copy catch those, so a test fails only when the QR is really unreadable.
    """
    import cv2
    import numpy as np

    picture = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    smaller = cv2.resize(picture, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for candidate in (picture, smaller):
            text, _, _ = detector.detectAndDecode(candidate)
            if text:
                return str(text)
    return ""
