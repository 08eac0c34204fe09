"""Showrooms and the products they put on display."""
