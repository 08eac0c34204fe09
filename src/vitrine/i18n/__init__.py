"""Shopper-facing text in the shopper's language: gettext catalogs, plural forms, prices, dates."""
