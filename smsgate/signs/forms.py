"""Reading the multipart/form-data bodies of the signature endpoints, as every official SDK
really sends them (jsms-api.md §2.16, §6, §7 A6/A7/A15).

- Java: `Content-Type: multipart/form-data ; boundary=========7d4a6d158c9` (a space before the
  `;`, an unquoted boundary full of `=`), files as repeated `images` parts.
- PHP: every part always present, `image0`, `type` and `remark` as empty strings when unset.
- C#: unquoted Content-Disposition parameters, a text/plain type on each text part.
- Python: `image0` as a file with a bare file name and no part type.

Any part with a file name, or named `image0`..`image3`, `images` or `image`, is a proof image, kept
in arrival order; empty parts count as absent.
"""

from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import Request

from smsgate.errors import Code, JsmsError
from smsgate.lenient import read_limited_body
from smsgate.signs.service import SignDraft

_IMAGE_NAMES = frozenset({"image", "images", "image0", "image1", "image2", "image3"})
_TEXT_NAMES = frozenset({"sign", "type", "remark"})
_FORM_OVERHEAD = 64 * 1024  # room for the text parts and part headers beside the images
_MAX_PARTS = 32


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


async def read_sign_form(request: Request, max_image_bytes: int) -> SignDraft:
    """The signature draft in a multipart body; 50003 for no body at all, 50017 when the body
    is not declared multipart, 50007 when it does not parse."""
    declared = request.headers.get("content-type", "")
    media, options = parse_options_header(declared)
    limit = max_image_bytes * 4 + _FORM_OVERHEAD
    raw = await read_limited_body(request, limit)
    if media.strip().lower() != b"multipart/form-data":
        raise JsmsError(
            Code.MISSING_BODY if not raw.strip() and not declared else Code.MEDIA_NOT_SUPPORTED
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise JsmsError(Code.INVALID_BODY, "multipart body without a boundary")
    return _draft(parse_parts(raw, boundary))


def parse_parts(raw: bytes, boundary: bytes) -> list[tuple[str, bool, bytes]]:
    """(name, has a file name, bytes) of every part, in order; 50007 when malformed."""
    parts: list[_Part] = []
    current = _Part()
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()
        if len(parts) >= _MAX_PARTS:
            raise JsmsError(Code.INVALID_BODY, "too many parts")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        current.headers[bytes(header_name).strip().lower()] = bytes(header_value).strip()
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current.data.extend(data[start:end])

    def on_part_end() -> None:
        parts.append(current)

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(raw)
        parser.finalize()
    except MultipartParseError:
        raise JsmsError(Code.INVALID_BODY, "malformed multipart body") from None
    if parser.state != MultipartState.END:
        raise JsmsError(Code.INVALID_BODY, "multipart body cut short")
    return [_named(part) for part in parts]


def _named(part: _Part) -> tuple[str, bool, bytes]:
    _disposition, options = parse_options_header(part.headers.get(b"content-disposition", b""))
    name = options.get(b"name", b"").decode("utf-8", "replace")
    return name, b"filename" in options, bytes(part.data)


def _draft(parts: list[tuple[str, bool, bytes]]) -> SignDraft:
    texts: dict[str, str] = {}
    images: list[bytes] = []
    for name, is_file, data in parts:
        if not data:
            continue  # PHP sends unset parts empty
        if is_file or name in _IMAGE_NAMES:
            images.append(data)
        elif name in _TEXT_NAMES and name not in texts:
            try:
                texts[name] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise JsmsError(Code.INVALID_BODY, f"{name} is not UTF-8") from None
    return SignDraft(texts.get("sign"), texts.get("type"), texts.get("remark"), images)
