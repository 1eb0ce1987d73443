"""GET /healthz, /readyz (on the API port and the metrics port) and /metrics (metrics port).

Outside /v1/, so unknown /v1 paths keep answering JSMS's 50016. Health answers carry no secret
and no database error text; /metrics is only on its own address (docs/decisions.md).
"""

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from smsgate.context import Context
from smsgate.observability.health import readiness
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


async def healthz(_request: Request) -> JsmsJSONResponse:
    """The process answers: nothing more is checked (a liveness probe)."""
    return JsmsJSONResponse({"status": "ok"})


async def readyz(request: Request) -> JsmsJSONResponse:
    """200 when ready to take traffic and deliver, else 503; the checks say why."""
    ctx: Context = request.app.state.ctx
    ready = await readiness(ctx.db, ctx.process, ctx.settings.loop_stuck_seconds)
    return JsmsJSONResponse(ready.as_json(), status_code=200 if ready.ready else 503)


async def metrics(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


router.add_route("/healthz", healthz, methods=["GET"])
router.add_route("/readyz", readyz, methods=["GET"])


def create_metrics_app(ctx: Context) -> Starlette:
    """What the metrics port serves: /metrics, /healthz, /readyz."""
    app = Starlette()
    app.state.ctx = ctx
    app.add_route("/metrics", metrics, methods=["GET"])
    app.add_route("/healthz", healthz, methods=["GET"])
    app.add_route("/readyz", readyz, methods=["GET"])
    return app
