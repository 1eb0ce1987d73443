"""A real HTTP server that receives smsgate's callbacks, as an app's endpoint would.

It listens on a free port in a thread of its own, answers the echostr check, checks every
callback's signature with the app's master secret, and answers each POST with the next status of
a script (then `default_status`).
"""

import hashlib
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class ReceivedCallback:
    content_type: str
    form: dict[str, list[str]]
    signature_ok: bool

    def field(self, name: str) -> str:
        [value] = self.form[name]
        return value


class CallbackReceiver:
    def __init__(self, app_key: str, master_secret: str) -> None:
        self.app_key = app_key
        self.master_secret = master_secret
        self.posts: list[ReceivedCallback] = []
        self.echo_checks: list[str] = []
        self.script: deque[int] = deque()
        self.default_status = 200
        self.echo_correctly = True
        self.received = threading.Event()  # set on every POST, for tests across processes
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/jsms/callback"

    def expected_signature(self, nonce: str, timestamp: str) -> str:
        text = (
            f"appKey={self.app_key}&appMasterSecret={self.master_secret}"
            f"&nonce={nonce}&timestamp={timestamp}"
        )
        return hashlib.sha1(text.encode()).hexdigest()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                [echostr] = parse_qs(urlsplit(self.path).query).get("echostr", [""])
                receiver.echo_checks.append(echostr)
                body = echostr if receiver.echo_correctly else echostr[::-1] + "x"
                self._answer(200, body.encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                nonce, timestamp = form.get("nonce", [""])[0], form.get("timestamp", [""])[0]
                signature = form.get("signature", [""])[0]
                ok = signature == receiver.expected_signature(nonce, timestamp)
                receiver.posts.append(
                    ReceivedCallback(self.headers.get("content-type", ""), form, ok)
                )
                status = receiver.script.popleft() if receiver.script else receiver.default_status
                self._answer(status, b"" if status == 204 else b"ok")
                receiver.received.set()

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                if status != 204:
                    self.send_header("content-length", str(len(body)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator["CallbackReceiver"]:
        # serve_forever looks for a shutdown request once per poll interval (0.5 s unless told):
        # a short one keeps each test's stop from waiting it out.
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()
