"""The web cockpit: FastAPI, server-rendered pages with htmx, and a JSON twin for each page."""

from .app import create_app

__all__ = ["create_app"]
