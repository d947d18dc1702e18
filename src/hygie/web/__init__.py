"""The web application: FastAPI app, server-rendered pages (Jinja2 + HTMX) and the REST API under /api/v1."""
