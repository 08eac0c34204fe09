"""Pickup codes and courier tokens: generation, display, parsing and the hashes we store."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 10
CODE_SPACE = 10**CODE_DIGITS
_SEPARATORS = str.maketrans("", "", " -.\t")


def new_pickup_code() -> str:
    """A uniformly random code of CODE_DIGITS digits (leading zeros kept)."""
    return f"{secrets.randbelow(CODE_SPACE):0{CODE_DIGITS}d}"


def format_code(code: str) -> str:
    """The code as a person reads it: groups of 3-3-4 digits ("123 456 7890")."""
    return f"{code[:3]} {code[3:6]} {code[6:]}"


def parse_code(text: str) -> str | None:
    """The digits of a typed or scanned code (spaces and dashes ignored), None if malformed."""
    digits = text.translate(_SEPARATORS)
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def pickup_code_hash(*, secret_key: str, site_id: str, code: str) -> str:
    """HMAC-SHA256 of `site_id:code`: bound to its site; a leaked table gives no code away."""
    message = f"{site_id}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def new_courier_token() -> str:
    """A bearer token with 256 random bits, shown to the operator once."""
    return "vtc_" + secrets.token_urlsafe(32)


def courier_token_hash(token: str) -> str:
    """SHA-256 of the token: enough for 256-bit random secrets, and constant-time to look up."""
    return hashlib.sha256(token.encode()).hexdigest()
