"""The web dashboard served by ``clusterhub serve``: sign in, the cluster overview, my data.

Pages are static HTML and small scripts in this package calling the JSON API with the signed-in
user's token; see ``routes`` for why.
"""

from typing import Any

from fastapi import FastAPI

from clusterhub.api import create_app
from clusterhub.web.routes import add_web_routes

__all__ = ["add_web_routes", "create_site"]


def create_site(url: str, *, secret: str | None = None, clock: Any = None) -> FastAPI:
    """The API (``clusterhub.api.create_app``) with the dashboard under ``/web``: what
    ``clusterhub serve`` runs. The dashboard uses the API app's own transaction and identity
    dependencies, so a page's data passes the same checks as any API call."""
    app = create_app(url, secret=secret, clock=clock)
    add_web_routes(app, app.state.session_dependency, app.state.subject_dependency)
    return app
