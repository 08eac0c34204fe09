"""Sign-in codes: 6 random digits, kept as keyed hashes, a few tries each (pure)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6
MAX_FAILED_ATTEMPTS = 5  # then the code is dead: 5 guesses in 10^6 is a 1 in 200,000 chance
CODE_MINUTES = 15


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def code_hash(secret_key: str, contact: str, code: str) -> str:
    message = f"{contact.strip().lower()}:{code}".encode()
    return hmac.new(f"sign-in:{secret_key}".encode(), message, hashlib.sha256).hexdigest()


def normalise_contact(contact: str) -> str:
    return contact.strip().lower()
