"""HTML page routers (Jinja2 templates), mobile-first."""
