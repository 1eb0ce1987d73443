"""The OpenAPI document and its page: the document names exactly the routes the application
serves, with their methods; it is what /openapi.json serves; and /docs works with no internet,
every asset coming from smsgate itself."""

import re
from collections.abc import Iterable, Iterator

import schemathesis
from httpx import AsyncClient
from starlette.routing import BaseRoute, Route

from smsgate.app import create_app
from smsgate.context import Context
from smsgate.errors import ERRORS
from smsgate.observability.docs_page import DOCUMENTATION_ROUTES
from smsgate.observability.openapi import openapi_document
from tests.api.helpers import assert_error

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def flat_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """(path prefix, route) of every route, through the routers FastAPI wraps included routers
    in (`original_router`, `include_context.prefix`)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            inner_prefix = prefix + route.include_context.prefix  # type: ignore[attr-defined]
            yield from flat_routes(included.routes, inner_prefix)
        else:
            assert isinstance(route, Route), f"unexpected route type {route!r}"
            yield prefix, route


def served_routes(ctx: Context) -> set[tuple[str, str]]:
    """(method, path) of every route of the application, as Starlette matches them (HEAD is
    Starlette's own companion of GET), less the document's own pages and the console."""
    routes: set[tuple[str, str]] = set()
    for prefix, route in flat_routes(create_app(ctx.settings, ctx).routes):
        path = prefix + route.path
        # The document's own pages, and the operator console (HTML for people, signed in with
        # a session): neither is JSMS API, so neither is in the document.
        if path in DOCUMENTATION_ROUTES or path.startswith("/console"):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                routes.add((method.lower(), path))
    return routes


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


async def test_document_names_every_route_and_no_other(ctx: Context) -> None:
    served = served_routes(ctx)
    documented = documented_operations()
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented operations nobody serves"
    assert len(served) >= 28


def test_probes_are_documented_without_credentials_and_readyz_with_its_503() -> None:
    paths = openapi_document()["paths"]
    assert {path for path in paths if not path.startswith(("/v1/", "/providers/"))} == (
        HEALTH_PROBES
    )
    readyz = paths["/readyz"]["get"]
    assert readyz["security"] == []
    assert set(readyz["responses"]) == {"200", "503"}
    assert (
        "ready" in readyz["responses"]["503"]["content"]["application/json"]["schema"]["properties"]
    )


HEALTH_PROBES = {"/healthz", "/readyz"}  # their 503 is a probe's answer, not a JSMS error


def test_every_documented_error_has_the_status_of_its_code() -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status == "200" or path in HEALTH_PROBES:
                    continue
                described = [
                    int(code) for code in re.findall(r"\b5\d{4}\b", response["description"])
                ]
                assert described, f"{method} {path} {status} names no code"
                assert {ERRORS[code].http_status for code in described} == {int(status)}


def test_document_loads_as_openapi_3_1_with_every_operation() -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.lower(), op.path) for op in operations} == documented_operations()
    assert openapi_document()["openapi"] == "3.1.0"


async def test_openapi_json_is_the_document(api: AsyncClient) -> None:
    answer = await api.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == openapi_document()


async def test_docs_page_needs_nothing_from_outside(api: AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(assets) >= 3
    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text
    for asset in assets:
        assert asset.startswith("/docs/static/"), asset
        loaded = await api.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000, asset
    bundle = await api.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in bundle.content


async def test_documentation_paths_keep_the_jsms_errors(api: AsyncClient) -> None:
    assert_error(await api.get("/docs/static/../../etc/passwd"), 404, 50016)
    assert_error(await api.get("/docs/static/redoc.standalone.js"), 404, 50016)
    assert_error(await api.post("/openapi.json"), 405, 50018)
    assert_error(await api.get("/v1/openapi.json"), 404, 50016)
    assert_error(await api.get("/v1/docs"), 404, 50016)
