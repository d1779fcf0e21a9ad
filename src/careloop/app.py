"""create_app(): the FastAPI composition root for the JSON API, the web UI and (later) FHIR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from careloop import __version__, db
from careloop.assessments import web as assessments_web
from careloop.assessments.api import router as assessments_router
from careloop.auth import web as auth_web
from careloop.auth.api import router as auth_router
from careloop.careplans import web as careplans_web
from careloop.careplans.api import router as careplans_router
from careloop.careteams import web as careteams_web
from careloop.careteams.api import router as careteams_router
from careloop.config import get_settings
from careloop.http import errors
from careloop.integrations.fhir import api as fhir_api
from careloop.integrations.hl7v2 import web as hl7v2_web
from careloop.integrations.hl7v2.api import router as hl7v2_review_router
from careloop.medrec import web as medrec_web
from careloop.medrec.api import router as medrec_router
from careloop.notifications import web as notifications_web
from careloop.notifications.api import router as notifications_router
from careloop.patients import web as patients_web
from careloop.patients.api import router as patients_router
from careloop.population import web as population_web
from careloop.population.api import router as population_router
from careloop.tasks import web as tasks_web
from careloop.tasks.api import router as tasks_router
from careloop.transitions import web as transitions_web
from careloop.transitions.api import router as transitions_router
from careloop.users import web as users_web
from careloop.users.api import router as users_router
from careloop.web.errors import render_error
from careloop.web.templating import STATIC

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for domain in (auth_router, patients_router, careteams_router, tasks_router, users_router,
                   notifications_router, transitions_router, medrec_router, hl7v2_review_router,
                   population_router, assessments_router,
                   careplans_router):
        router.include_router(domain)
    return router


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Sync endpoints and dependencies run on AnyIO's thread pool (40 threads by default); as many threads
    # as requests admitted to the database (http.deps.database_slot) is enough, and fewer threads on two
    # cores means less time lost switching between them.
    to_thread.current_default_thread_limiter().total_tokens = get_settings().request_threads
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="careloop",
        version=__version__,
        description="Care coordination API: panels, patients, care teams, tasks and worklists. "
        "Authenticate with 'Authorization: Bearer <token>' (create one at POST /api/v1/auth/tokens).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    # Routes are matched in the order they are added, one by one (FastAPI's included routers match each of
    # their routes in turn, twice per request): the probes and the JSON API first, the web pages after them.
    _add_docs_and_health(app)
    app.include_router(api_router())
    app.include_router(fhir_api.router)  # FHIR R4, described by its own /fhir/R4/metadata, not /api's OpenAPI
    for web_routes in WEB_ROUTERS:
        app.include_router(web_routes)
    _mount_assets(app)
    errors.install(app, render_html=render_error, render_fhir=fhir_api.render_error)
    return app


# The HTML pages: thin routes over the same services as the JSON API, left out of the OpenAPI description.
WEB_ROUTERS = (auth_web.router, tasks_web.router, patients_web.router, careteams_web.router,
               users_web.router, notifications_web.router, transitions_web.router, medrec_web.router,
               hl7v2_web.router, population_web.router, assessments_web.router,
               careplans_web.router)


# Front-end packages installed from npm at install time (package.json), served locally, never from a CDN.
NPM_ASSETS = {"htmx": "htmx.org/dist", "pico": "@picocss/pico/css", "swagger-ui": "swagger-ui-dist"}


def _mount_assets(app: FastAPI) -> None:
    node_modules = get_settings().assets_dir
    for name, folder in NPM_ASSETS.items():
        path = node_modules / folder
        if path.is_dir():
            app.mount(f"/assets/{name}", StaticFiles(directory=path), name=f"assets-{name}")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _add_docs_and_health(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json", title="careloop API",
            swagger_js_url="/assets/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/assets/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/assets/swagger-ui/favicon-32x32.png",
        )

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}
