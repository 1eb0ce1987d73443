"""A stand-in for a vendor's HTTP API on 127.0.0.1 (a real server on a free port, in a thread):
it records every request exactly as it arrived and answers what the test scripted.

The cloud vendors cannot be reached from here, so each provider test checks the recorded
request against the vendor's documented one and answers with the vendor's documented bodies.
"""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

HOLD_LIMIT_SECONDS = 30.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    hold: bool = False  # never answer (until the server stops): the client times out


@dataclass
class VendorServer:
    answers: list[Answer] = field(default_factory=list)  # used in order, the last one repeats
    requests: list[RecordedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def next_answer(self) -> Answer:
        if len(self.answers) > 1:
            return self.answers.pop(0)
        return self.answers[0] if self.answers else Answer(404)


def _handler(vendor: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            vendor.requests.append(
                RecordedRequest(
                    self.command,
                    split.path,
                    dict(parse_qsl(split.query, keep_blank_values=True)),
                    {key.lower(): value for key, value in self.headers.items()},
                    body,
                )
            )
            if self.command == "HEAD":  # a probe of the server, not a call of the API
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            answer = vendor.next_answer()
            if answer.hold:
                vendor.released.wait(HOLD_LIMIT_SECONDS)
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def unopened_port() -> socket.socket:
    """A port this process owns without listening on it: connections to it are refused, and
    nobody else can take it before a vendor server opens it (`run_vendor_server(on=...)`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def run_vendor_server(on: socket.socket | None = None) -> Iterator[VendorServer]:
    """Serve until the generator is closed (use it from a fixture); on a new port, or on one
    from `unopened_port()`."""
    vendor = VendorServer()
    if on is None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vendor))
    else:
        server = ThreadingHTTPServer(on.getsockname(), _handler(vendor), bind_and_activate=False)
        server.socket.close()
        server.socket, server.server_address = on, on.getsockname()
        server.server_activate()
    server.daemon_threads = True
    vendor.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield vendor
    finally:
        vendor.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
