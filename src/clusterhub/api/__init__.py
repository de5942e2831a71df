"""The HTTP API (FastAPI) over the data service; ``create_app(url)`` builds it."""

from clusterhub.api.app import create_app

__all__ = ["create_app"]
