"""How operator sign-ins are slowed: no lockout an attacker could turn against the owner (pure).

- Per (account, client): a client is the browser's device id when it signed in to this account
  before (a signed device cookie), else its address. Attempts in the last PAIR.seconds decide
  the wait before the password is checked: 0, 0, 0, 1, 2, 4, 8 s; past PAIR.amount attempts that
  pair alone is answered 429 + Retry-After. A successful sign-in clears the pair.
- Per account, for clients it has never seen: at most UNKNOWN_CLIENTS.amount attempts per
  window, whatever the number of addresses, then 429 for unknown clients only. A browser the
  owner signed in with before is never counted there, so it always gets in.
"""

from __future__ import annotations

from vitrine.throttling.counters import Rule

PAIR = Rule("login-pair", amount=7, seconds=15 * 60)
UNKNOWN_CLIENTS = Rule("login-unknown-clients", amount=30, seconds=15 * 60)
FREE_ATTEMPTS = 3


def wait_before_check(attempts_before: int) -> float:
    """Seconds to wait before checking the password, given the pair's earlier attempts."""
    if attempts_before < FREE_ATTEMPTS:
        return 0.0
    return float(2 ** (attempts_before - FREE_ATTEMPTS))
