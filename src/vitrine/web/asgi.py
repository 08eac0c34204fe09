"""The app as each worker process of `vitrine serve --workers N` builds it.

`vitrine serve` migrates the database and catches the search index up once, then starts the
workers with `uvicorn vitrine.web.asgi:serving_app --factory`; each reads the same settings
from VITRINE_* variables, opens the installation without migrating and loads the saved index.
"""

from __future__ import annotations

from fastapi import FastAPI

from vitrine.installation import open_installation
from vitrine.settings import load_settings
from vitrine.web.app import create_app


def serving_app() -> FastAPI:
    installation = open_installation(load_settings(), migrate=False)
    return create_app(installation, serving=True)
