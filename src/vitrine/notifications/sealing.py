"""Secrets at rest in the outbox (pickup codes): sealed with a key derived from the secret key.

Fernet (AES-128-CBC + HMAC-SHA256) with its key drawn from VITRINE_SECRET_KEY by HKDF, so a
copy of the database alone gives no code away, and a changed secret key makes old seals fail
loudly instead of opening to garbage.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"vitrine outbox seal v1"


class SealBroken(ValueError):
    """The sealed text was altered, or sealed under another secret key."""


class Sealer:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("sealing needs a secret key")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as error:
            raise SealBroken("this sealed secret cannot be opened with this secret key") from error
