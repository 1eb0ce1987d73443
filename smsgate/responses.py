"""JSON responses encoded with orjson (UTF-8, no ASCII escaping), and the JSMS error answer."""

from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from smsgate.errors import ERRORS, error_envelope


class JsmsJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_number_as_sent)


def _number_as_sent(value: object) -> float:
    """A number echoed from a request (lenient.JsonNumber) goes back as a number."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def error_response(
    code: int, extra: dict[str, Any] | None = None, message: str | None = None
) -> JsmsJSONResponse:
    body = {**(extra or {}), **error_envelope(code, message)}
    return JsmsJSONResponse(body, status_code=ERRORS[code].http_status)


def empty_response() -> Response:
    """DELETE answers: 200 with no body, as the JSMS docs and SDKs expect."""
    return Response(status_code=200, media_type="application/json")


def msg_id_answer(msg_id: str) -> "JsmsJSONResponse":
    """`{"msg_id": ...}`: what every accepted single send answers."""
    return JsmsJSONResponse({"msg_id": msg_id})
