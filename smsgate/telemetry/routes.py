"""The template of the route a request matched (`/v1/codes/{msg_id}/valid`), never its raw path:
what the access log and the request metrics name a request by.

FastAPI's router names the matched route in the scope only for its own APIRoutes; smsgate's plain
routes are found by the endpoint the router put in the scope, and matched again only when one
endpoint serves several paths.
"""

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import Scope


class RouteNames:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._by_endpoint: dict[Any, list[BaseRoute]] = {}
        for route in routes:
            endpoint = getattr(route, "endpoint", None)
            if endpoint is not None:
                self._by_endpoint.setdefault(endpoint, []).append(route)

    def of(self, scope: Scope) -> str | None:
        """The matched route's template; None when no route matched."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return None
        candidates = self._by_endpoint.get(endpoint, [])
        if len(candidates) > 1:
            candidates = [r for r in candidates if r.matches(scope)[0] != Match.NONE]
        path = getattr(candidates[0], "path", None) if candidates else None
        return path if isinstance(path, str) else None
