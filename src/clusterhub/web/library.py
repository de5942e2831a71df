"""The dashboard's chart library, plotly.js, served by the app from the installed ``plotly``
Python package (which ships ``package_data/plotly.min.js``): no copy in this repository, no
Node.js on the machine, nothing loaded from the internet.

Why a versioned address with a year-long cache: the file is 4.8 MB; its address names the
package's version, so a new version is a new address and a browser never keeps a stale one. It
is gzipped once, when first asked for, and sent compressed to the browsers that accept it.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import metadata, resources

from fastapi import FastAPI, Request
from fastapi.responses import Response

__all__ = ["PLOTLY_PATH", "add_library_route", "plotly_js"]

#: The address of plotly.min.js; pages with charts load it before their own script.
PLOTLY_PATH = f"/web/library/plotly-{metadata.version('plotly')}.min.js"
_CACHE = "public, max-age=31536000, immutable"


@cache
def plotly_js() -> bytes:
    """The installed package's plotly.min.js (looked up in the package at run time)."""
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


@cache
def _compressed() -> bytes:
    return gzip.compress(plotly_js(), compresslevel=6, mtime=0)


def add_library_route(app: FastAPI) -> None:
    """``PLOTLY_PATH`` on ``app``, cached by browsers for a year, gzipped when accepted."""

    @app.get(PLOTLY_PATH, include_in_schema=False)
    def plotly(request: Request) -> Response:
        headers = {"Cache-Control": _CACHE, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(_compressed(), media_type="text/javascript", headers=headers)
        return Response(plotly_js(), media_type="text/javascript", headers=headers)
