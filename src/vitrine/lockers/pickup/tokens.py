"""The pickup token the message's QR carries: signed, 192 bits, nothing to guess, never slowed.

A token names its parcel and carries HMAC-SHA256(key, "site:parcel:code hash") cut to 192 bits,
with a key derived from the secret key. It is bound to the parcel's site and to its current
code (a new code makes the old token worthless), and works exactly as long as the code does.
Forging one means guessing 192 bits, so the kiosk accepts tokens without any slowing or lockout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN_PREFIX = "VP1-"  # noqa: S105 (a format marker, not a secret)
_MAC_CHARS = 32  # base64url characters: 192 bits
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}([0-9a-f]{{32}})-([A-Za-z0-9_-]{{{_MAC_CHARS}}})$")


def _mac(secret_key: str, site_id: str, parcel_id: str, code_hash: str) -> str:
    key = hashlib.sha256(f"vitrine.pickup-token:{secret_key}".encode()).digest()
    digest = hmac.new(key, f"{site_id}:{parcel_id}:{code_hash}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode()[:_MAC_CHARS]


def make_pickup_token(*, secret_key: str, site_id: str, parcel_id: str, code_hash: str) -> str:
    """The text of the QR in the pickup message (about 70 characters)."""
    return f"{TOKEN_PREFIX}{parcel_id}-{_mac(secret_key, site_id, parcel_id, code_hash)}"


def looks_like_token(text: str) -> bool:
    return text.strip().startswith(TOKEN_PREFIX)


def token_parcel_id(text: str) -> str | None:
    """The parcel a well-formed token names (not yet verified), None if malformed."""
    found = _TOKEN.fullmatch(text.strip())
    return found.group(1) if found else None


def token_matches(
    *, secret_key: str, site_id: str, parcel_id: str, code_hash: str, token: str
) -> bool:
    expected = make_pickup_token(
        secret_key=secret_key, site_id=site_id, parcel_id=parcel_id, code_hash=code_hash
    )
    return hmac.compare_digest(expected.encode(), token.strip().encode())
