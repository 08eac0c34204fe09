"""Shopper sign-in by a one-time code, so a cart follows its shopper across browsers."""
