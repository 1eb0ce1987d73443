"""create_app(settings) -> the FastAPI application: routes, JSMS error answers, the worker."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from smsgate.apps.endpoints import router as apps_router
from smsgate.auth import AppAuthenticator, DevAuthenticator
from smsgate.background import run_background
from smsgate.codes.endpoints import router as codes_router
from smsgate.context import Context, open_context
from smsgate.delivery.webhooks import router as provider_webhooks_router
from smsgate.devs.endpoints import router as devs_router
from smsgate.errors import JsmsError
from smsgate.messages.endpoints import router as messages_router
from smsgate.messages.schedules.endpoints import router as schedules_router
from smsgate.reports.endpoints import router as reports_router
from smsgate.responses import error_response
from smsgate.settings import Settings
from smsgate.signs.endpoints import router as signs_router
from smsgate.templates.endpoints import router as templates_router

log = structlog.get_logger(__name__)
_HTTP_STATUS_CODES = {404: 50016, 405: 50018, 415: 50017, 413: 50007}


def create_app(settings: Settings, ctx: Context | None = None) -> FastAPI:
    """The API; `ctx` is created from settings unless given (tests share one)."""
    context = ctx or open_context(settings)
    app = FastAPI(
        title="smsgate",
        lifespan=_lifespan(context, owns_context=ctx is None),
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.ctx = context
    app.state.authenticator = AppAuthenticator(context.db, settings.auth_cache_seconds)
    app.state.dev_authenticator = DevAuthenticator(context.db)
    for router in (codes_router, messages_router, apps_router, devs_router):
        app.include_router(router)
    app.include_router(provider_webhooks_router)
    app.include_router(templates_router)
    app.include_router(signs_router)
    app.include_router(schedules_router)
    app.include_router(reports_router)
    _install_error_handlers(app)
    app.add_middleware(IgnoreTrailingSlash)
    return app


def _lifespan(ctx: Context, owns_context: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if ctx.settings.embedded_worker:
            task = asyncio.create_task(run_background(ctx))
        # Everything loaded so far lives as long as the process: keep it out of the collector's
        # full passes, which otherwise walk it all and pause the loop for tens of milliseconds.
        gc.freeze()
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owns_context:
                await ctx.close()

    return lifespan


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(JsmsError)
    async def jsms_error(_request: Request, error: JsmsError) -> Response:
        return error_response(error.code, message=error.message)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> Response:
        code = _HTTP_STATUS_CODES.get(
            error.status_code, 50019 if error.status_code >= 500 else 50007
        )
        return error_response(code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, _error: RequestValidationError) -> Response:
        return error_response(50007)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=error)
        return error_response(50019)


class IgnoreTrailingSlash:
    """`/v1/sign/` and `/v1/sign` are one route (the PHP SDK posts with the slash)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
        await self.app(scope, receive, send)
