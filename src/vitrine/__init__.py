"""Vitrine: the showroom that sells through the shopper's phone."""

__version__ = "0.1.0"
