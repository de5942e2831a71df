"""The dashboard's routes: its pages, their scripts and styles, and small read-only JSON answers
the API does not give (my datasets as a list, a bundled cluster's overview, its saving, its day's
dispatch and the saving's split among its members).

Why static pages calling the JSON API: the pages hold no data of their own; everything a user
sees comes from the same endpoints, the same decision point and the same audit as any other
client, with the bearer token kept in the tab's sessionStorage (like ``/upload``). The pages,
scripts and styles are served from this package: the dashboard works with no internet.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from clusterhub.api.headers import HEADERS
from clusterhub.collab import Subject
from clusterhub.service.catalogue import datasets_of
from clusterhub.service.freshness import freshness
from clusterhub.web.energy import HOURS, MAX_HOURS, check_window, energy_view, sharing_view
from clusterhub.web.jobs import Jobs
from clusterhub.web.library import PLOTLY_PATH, add_library_route
from clusterhub.web.overview import example_overview, examples, saving
from clusterhub.web.symbiosis import MAX_DAYS, shutdown_view, symbiosis_view
from clusterhub.web.year import year_view

__all__ = ["CHARTED", "PAGES", "add_web_routes", "page"]

#: path -> (file under pages/, title, navigation label or "" when not in the navigation)
PAGES: dict[str, tuple[str, str, str]] = {
    "/web/sign-in": ("sign-in.html", "Sign in", ""),
    "/web/overview": ("overview.html", "Cluster overview", "Overview"),
    "/web/energy": ("energy.html", "Energy", "Energy"),
    "/web/sharing": ("sharing.html", "Benefit sharing", "Benefit sharing"),
    "/web/symbiosis": ("symbiosis.html", "Industrial symbiosis", "Symbiosis"),
    "/web/runs": ("runs.html", "Runs on shared data", "Runs"),
    "/web/data": ("data.html", "My data", "My data"),
}
#: The pages that draw charts: they load the chart library (4.8 MB, cached) before their script.
CHARTED = frozenset({"/web/overview", "/web/energy", "/web/sharing", "/web/symbiosis"})
ClusterName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$",
              description="a bundled example: harbour, energy-park, kwinana, kalundborg")
]  # fmt: skip


def _text(name: str) -> str:
    return resources.files("clusterhub.web").joinpath("pages", name).read_text("utf-8")


@cache
def page(path: str) -> str:
    """A page in the shared layout, its entry in the navigation marked as the current one."""
    filename, title, _ = PAGES[path]
    nav = "\n".join(
        f'<li><a href="{href}"{" aria-current=page" if href == path else ""}>{label}</a></li>'
        for href, (_, _, label) in PAGES.items()
        if label
    )
    script = filename.removesuffix(".html")
    library = f'<script src="{PLOTLY_PATH}" defer></script>' if path in CHARTED else ""
    return (
        _text("layout.html")
        .replace("{{title}}", title)
        .replace("{{library}}", library)
        .replace("{{nav}}", nav)
        .replace("{{script}}", script)
        .replace("{{main}}", _text(filename))
    )


def add_web_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
) -> None:
    """The dashboard on ``app``; ``session`` and ``subject`` are the app's dependencies (one
    transaction per request, the signed-in tenant identity)."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)
    static = resources.files("clusterhub.web").joinpath("static")
    app.mount("/web/static", StaticFiles(directory=str(static)), name="web-static")
    add_library_route(app)

    @app.get("/web", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/web/overview")

    for path in PAGES:

        def serve(path: str = path) -> HTMLResponse:
            return HTMLResponse(page(path), headers=HEADERS)

        app.add_api_route(path, serve, methods=["GET"], include_in_schema=False,
                          response_class=HTMLResponse)  # fmt: skip

    @app.get("/web/api/datasets", tags=["dashboard"])
    def my_datasets(db: Session = db_dep, who: Subject = who_dep) -> list[dict[str, Any]]:
        """Your tenant's datasets: name, kind, declared columns, latest version; no rows."""
        return datasets_of(db, who)

    @app.get("/web/api/clusters", tags=["dashboard"])
    def clusters(who: Subject = who_dep) -> list[dict[str, str]]:
        """The bundled clusters the overview can show."""
        return examples()

    @app.get("/web/api/clusters/{cluster}", tags=["dashboard"])
    def cluster_overview(cluster: ClusterName, who: Subject = who_dep) -> dict[str, Any]:
        """A bundled cluster's members, sites (with map positions), connections, links and
        headline figures."""
        return example_overview(cluster)

    @app.get("/web/api/freshness", tags=["dashboard"])
    def data_freshness(db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """When each tenant last sent data: counts of datasets and versions and the latest
        arrival per tenant, never a dataset's name or rows (audited in your trail)."""
        return freshness(db, who)

    @app.get("/web/api/clusters/{cluster}/saving", tags=["dashboard"])
    def cluster_saving(cluster: ClusterName, who: Subject = who_dep) -> dict[str, Any]:
        """Joint against stand-alone dispatch of a bundled cluster over its first 24 hours."""
        return saving(cluster, 24)

    # the Energy page's window: its first day (the horizon's first when absent) and length
    Start = Annotated[date | None, Query(description="a day within the horizon")]  # noqa: N806
    Hours = Annotated[int, Query(ge=1, le=MAX_HOURS, description="a length in hours")]  # noqa: N806
    jobs = Jobs(workers=1)
    app.state.web_jobs = jobs

    @app.get("/web/api/clusters/{cluster}/energy", tags=["dashboard"])
    def cluster_energy(
        cluster: ClusterName, start: Start = None, hours: Hours = HOURS, who: Subject = who_dep
    ) -> dict[str, Any]:
        """The joint and stand-alone dispatch of a bundled cluster over ``hours`` from
        ``start`` (its first 24 hours by default): every carrier's supply by source and use,
        each connection's import against its limit with the congested hours, and joint against
        stand-alone cost per participant."""
        return energy_view(cluster, start, hours)

    @app.get("/web/api/clusters/{cluster}/year", tags=["dashboard"])
    def cluster_year(cluster: ClusterName, who: Subject = who_dep) -> dict[str, Any]:
        """Every carrier's demand over a bundled cluster's whole horizon: MW per hour, summed
        over its members, and MWh per day (no optimisation: read from the profiles)."""
        return year_view(cluster)

    @app.post("/web/api/clusters/{cluster}/energy/jobs", status_code=202, tags=["dashboard"])
    def start_energy_job(
        cluster: ClusterName, start: Start = None, hours: Hours = HOURS, who: Subject = who_dep
    ) -> dict[str, Any]:
        """``cluster_energy`` computed in the background: answers at once with the job (its
        id, state, stage and fraction done); a bad window is refused now, naming the field."""
        check_window(cluster, start, hours)
        job = jobs.submit(
            str(who.tenant), lambda progress: energy_view(cluster, start, hours, progress=progress)
        )
        return job.public()

    @app.get("/web/api/energy/jobs/{job}", tags=["dashboard"])
    def energy_job(
        job: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")],
        who: Subject = who_dep,
    ) -> dict[str, Any]:
        """A job of your tenant: queued, running, done (with its answer) or failed (with why);
        another tenant's job is not found."""
        return jobs.get(str(who.tenant), job)

    @app.get("/web/api/clusters/{cluster}/sharing", tags=["dashboard"])
    def cluster_sharing(cluster: ClusterName, who: Subject = who_dep) -> dict[str, Any]:
        """The saving of a bundled cluster's first 24 hours split among its members by several
        methods, each with its stability statement."""
        return sharing_view(cluster)

    @app.get("/web/api/clusters/{cluster}/symbiosis", tags=["dashboard"])
    def cluster_symbiosis(cluster: ClusterName, who: Subject = who_dep) -> dict[str, Any]:
        """A bundled cluster's exchange network placed for drawing, and every resource's flows
        from suppliers to receivers."""
        return symbiosis_view(cluster)

    @app.get("/web/api/clusters/{cluster}/symbiosis/impact", tags=["dashboard"])
    def cluster_shutdown(
        cluster: ClusterName,
        facility: Annotated[str, Query(min_length=1, max_length=128)],
        days: Annotated[int, Query(ge=1, le=MAX_DAYS)],
        who: Subject = who_dep,
    ) -> dict[str, Any]:
        """One facility of a bundled cluster stopping for ``days``: what its neighbours lose,
        from which day, and the sources that could replace it."""
        return shutdown_view(cluster, facility, days)
