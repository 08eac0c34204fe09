"""Visual product search: a shopper's photo finds the catalog product, or says "not found".

Pure and storage-free: callers pass pictures, records and vectors; the database
and HTTP wiring live in ``service.py`` and the web layer.
"""
