"""The web layer: create_app(), JSON API routers under /api/v1, page routers and templates."""
