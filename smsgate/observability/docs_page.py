"""GET /openapi.json and a reading page for it at /docs that needs no internet.

The page is Swagger UI, whose script, style sheet and icon come from the pinned `fastapi-offline`
wheel and are served by smsgate itself under /docs/static/. These routes live outside /v1/, so
an unknown path there still answers JSMS's 50016.
"""

from importlib.resources import files

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import Response

from smsgate.errors import Code, JsmsError
from smsgate.observability.openapi import openapi_document
from smsgate.responses import JsmsJSONResponse

router = APIRouter()
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
STATIC_PATH = "/docs/static/{name}"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# Read once: a few MB of JavaScript that never changes while the process runs.
_asset_cache: dict[str, bytes] = {}


async def openapi_json(_request: Request) -> JsmsJSONResponse:
    return JsmsJSONResponse(openapi_document())


async def docs_page(_request: Request) -> Response:
    static = STATIC_PATH.removesuffix("{name}")
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="smsgate API",
        swagger_js_url=f"{static}swagger-ui-bundle.js",
        swagger_css_url=f"{static}swagger-ui.css",
        swagger_favicon_url=f"{static}favicon.png",
        swagger_ui_parameters={"docExpansion": "list", "defaultModelsExpandDepth": 0},
    )


async def docs_asset(request: Request) -> Response:
    name: str = request.path_params["name"]
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise JsmsError(Code.API_NOT_FOUND)
    if name not in _asset_cache:
        _asset_cache[name] = files("fastapi_offline").joinpath("static", name).read_bytes()
    return Response(
        _asset_cache[name],
        media_type=media_type,
        headers={"cache-control": "public, max-age=86400"},
    )


router.add_route(OPENAPI_PATH, openapi_json, methods=["GET"])
router.add_route(DOCS_PATH, docs_page, methods=["GET"])
router.add_route(STATIC_PATH, docs_asset, methods=["GET"])
DOCUMENTATION_ROUTES = frozenset({OPENAPI_PATH, DOCS_PATH, STATIC_PATH})
