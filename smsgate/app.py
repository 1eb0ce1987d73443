"""create_app(settings) -> the FastAPI application: routes, JSMS error answers, the worker."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.apps.endpoints import router as apps_router
from smsgate.auth import AppAuthenticator, DevAuthenticator
from smsgate.background import run_background, stop_background
from smsgate.codes.endpoints import router as codes_router
from smsgate.console.endpoints import install_console
from smsgate.context import Context, open_context
from smsgate.delivery.webhooks import router as provider_webhooks_router
from smsgate.devs.endpoints import router as devs_router
from smsgate.errors import Code, JsmsError
from smsgate.messages.endpoints import router as messages_router
from smsgate.messages.schedules.endpoints import router as schedules_router
from smsgate.observability.docs_page import router as docs_router
from smsgate.observability.endpoints import router as health_router
from smsgate.observability.server import SERVE_DEFAULT_PORT, metrics_port, metrics_server
from smsgate.reports.endpoints import router as reports_router
from smsgate.responses import error_response
from smsgate.settings import Settings
from smsgate.signs.endpoints import router as signs_router
from smsgate.telemetry.access_log import ObservedRequests, answer_request_id
from smsgate.telemetry.routes import RouteNames
from smsgate.templates.endpoints import router as templates_router

log = structlog.get_logger(__name__)
_HTTP_STATUS_CODES = {
    404: Code.API_NOT_FOUND,
    405: Code.METHOD_NOT_SUPPORTED,
    415: Code.MEDIA_NOT_SUPPORTED,
    413: Code.INVALID_BODY,
}


def create_app(
    settings: Settings, ctx: Context | None = None, *, serve_metrics: bool = False
) -> FastAPI:
    """The API; `ctx` is created from settings unless given (tests share one). With
    `serve_metrics` (smsgate serve) the metrics port runs as long as the app."""
    context = ctx or open_context(settings)
    app = FastAPI(
        title="smsgate",
        lifespan=_lifespan(context, owns_context=ctx is None, serve_metrics=serve_metrics),
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.ctx = context
    app.state.authenticator = AppAuthenticator(context.db, settings.auth_cache_seconds)
    app.state.dev_authenticator = DevAuthenticator(context.db)
    routers = (
        codes_router,
        messages_router,
        apps_router,
        devs_router,
        provider_webhooks_router,
        templates_router,
        signs_router,
        schedules_router,
        reports_router,
        health_router,
        docs_router,  # /openapi.json and /docs, outside /v1/
    )
    for router in routers:
        # Their plain Starlette routes straight on the app's router: matched by one regular
        # expression each, not through FastAPI's wrapper per included router, which matched a
        # request twice over every router before it (about 25 µs of a verify's 300; most of
        # a 404's CPU).
        app.router.routes.extend(router.routes)
    _install_error_handlers(app)
    if settings.console:
        install_console(app)  # /console/: the operator's pages, not JSMS API
    app.state.route_names = RouteNames([r for router in routers for r in router.routes])
    # Inside IgnoreTrailingSlash, so it sees the path the router matched.
    app.add_middleware(
        ObservedRequests, routes=app.state.route_names, access_log=settings.access_log
    )
    app.add_middleware(IgnoreTrailingSlash)
    app.add_middleware(AnswerUnexpectedErrors, handler=unexpected_error)
    return app


def _lifespan(ctx: Context, owns_context: bool, serve_metrics: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        port = metrics_port(ctx, SERVE_DEFAULT_PORT) if serve_metrics else 0
        async with metrics_server(ctx, port):
            task = None
            if ctx.settings.embedded_worker:
                task = asyncio.create_task(run_background(ctx))
            # Everything loaded so far lives as long as the process: keep it out of the
            # collector's full passes, which otherwise walk it all and pause the loop for tens
            # of milliseconds.
            gc.freeze()
            try:
                yield
            finally:
                # The server has answered every request in flight: the loops finish their
                # passes, hand back what they hold and unbind.
                ctx.request_stop()
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await stop_background(ctx, task)
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
            error.status_code, Code.SERVER_ERROR if error.status_code >= 500 else Code.INVALID_BODY
        )
        return error_response(code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, _error: RequestValidationError) -> Response:
        return error_response(Code.INVALID_BODY)

    app.add_exception_handler(Exception, unexpected_error)


async def unexpected_error(request: Request, error: Exception) -> Response:
    # The route template, not the raw path: a path is client text and can hold anything.
    route = request.app.state.route_names.of(request.scope)
    log.error("unhandled error", route=route, exc_info=error)
    response = error_response(Code.SERVER_ERROR)
    answer_request_id(response)
    return response


class AnswerUnexpectedErrors:
    """Any exception a request raises is answered 500 with the JSMS envelope (50019), and goes
    no further. Starlette's last-resort handler answers too, but then re-raises, and uvicorn
    closes the keep-alive connection after the answer without `Connection: close`: an SDK's
    next call on it would fail as well. Only an answer already under way is left to the server.
    """

    def __init__(self, app: ASGIApp, handler: Callable[[Request, Exception], Awaitable[Response]]):
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            if started:
                raise
            response = await self.handler(Request(scope), error)
            await response(scope, receive, send)


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
