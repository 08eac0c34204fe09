"""The abuse limits of shopper features, per client address and per browser (figures in one place).

A browser is its visitor cookie (or live handle), which costs nothing to renew; the address
limit is what holds against fresh cookie jars, and it is looser so that a showroom's shared
Wi-Fi (many shoppers behind one address) is not throttled as one person.
"""

from __future__ import annotations

from vitrine.throttling.counters import Rule

SIGN_IN_CODES_PER_BROWSER = Rule("sign-in-codes-browser", amount=5, seconds=600)
SIGN_IN_CODES_PER_ADDRESS = Rule("sign-in-codes-address", amount=10, seconds=600)
SIGN_IN_CHECKS_PER_ADDRESS = Rule("sign-in-checks-address", amount=20, seconds=600)
LIKES_PER_VIEWER = Rule("likes-viewer", amount=10, seconds=10)
LIKES_PER_ADDRESS = Rule("likes-address", amount=30, seconds=10)
COMMENTS_PER_ADDRESS = Rule("comments-address", amount=10, seconds=30)
TEXT_SEARCHES_PER_BROWSER = Rule("text-search-browser", amount=30, seconds=60)
TEXT_SEARCHES_PER_ADDRESS = Rule("text-search-address", amount=90, seconds=60)
