"""The exact HTTP requests of the official PHP and Java JSMS SDKs (jsms-api.md §6.1, §6.2),
written byte for byte to a socket, and their answers as the SDKs read them.

PHP (libcurl) and Java (HttpURLConnection) differ from the Python SDK in ways an in-process
client cannot show: `Content-Type: application/json` on GET and DELETE too, their own header
sets, and JSON encoders with their own escaping (PHP's `\\uXXXX` and `\\/`, gson's `\\u003d`).
Each call opens a connection of its own, as both SDKs do.
"""

import base64
import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any

SOCKET_TIMEOUT = 10.0
GSON_HTML_ESCAPES = {"=": "\\u003d", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}


def php_json(value: Any) -> bytes:
    """PHP's `json_encode($value)` with default flags: compact, every non-ASCII character as a
    lower-case `\\uXXXX` (surrogate pairs beyond the BMP), and `/` as `\\/`."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def gson_json(value: Any) -> bytes:
    """`new Gson().toJson(jsonObject)`: compact raw UTF-8, with gson's default HTML escaping of
    `=`, `<`, `>`, `&` and `'` (these occur only inside strings in compact JSON)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in GSON_HTML_ESCAPES.items():
        text = text.replace(char, escape)
    return text.encode()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        return json.loads(self.body)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def exchange(port: int, head_lines: list[str], body: bytes | None) -> Answer:
    """Write the request head and body as they are; read one answer (framed by its headers)."""
    if body is not None:
        head_lines = [*head_lines, f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(head_lines) + "\r\n\r\n").encode() + (body or b"")
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock, method=head_lines[0].split(" ", 1)[0])
        response.begin()
        return Answer(response.status, response.headers, response.read())


@dataclass(frozen=True)
class PhpClient:
    """`JiGuang\\JSMS::request()` through libcurl: CURLOPT_USERPWD (Basic), CURLOPT_USERAGENT,
    `Connection: Keep-Alive`, curl's `Accept: */*`, then `Content-Type: application/json` on
    every method; a body (and its Content-Length) only when the PHP array was not empty."""

    port: int
    app_key: str
    master_secret: str

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        """`$body` as json_encode writes it; an empty PHP array sends no body at all."""
        return self.raw(method, path, php_json(body) if body else None)

    def raw(self, method: str, path: str, body: bytes | None) -> Answer:
        """The body as the exact bytes json_encode produced (also for what no Python value
        encodes the same way, such as a PHP null inside an array)."""
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Authorization: {basic(self.app_key, self.master_secret)}",
            "User-Agent: JSMS-API-PHP-CLIENT",
            "Accept: */*",
            "Connection: Keep-Alive",
            "Content-Type: application/json",
        ]
        return exchange(self.port, head, body)


@dataclass(frozen=True)
class JavaClient:
    """jiguang-common 1.0.8 `NativeHttpClient._doRequest`: its request properties in the order
    it sets them, then what HttpURLConnection adds (no-cache for setUseCaches(false), Host,
    the JDK's default Accept). Content-Length and a body only when there is content (POST, PUT).
    `user:password` is appKey:masterSecret, or devKey:devSecret for the dev balance."""

    port: int
    user: str
    password: str

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        head = [
            f"{method} {path} HTTP/1.1",
            "User-Agent: JPush-API-Java-Client",
            "Connection: keep-alive",
            "Accept-Charset: UTF-8",
            "Charset: UTF-8",
            f"Authorization: {basic(self.user, self.password)}",
            "Content-Type: application/json",
            "Cache-Control: no-cache",
            "Pragma: no-cache",
            f"Host: 127.0.0.1:{self.port}",
            "Accept: text/html, image/gif, image/jpeg, */*; q=0.2",
        ]
        return exchange(self.port, head, None if body is None else gson_json(body))
