"""The operator console in a real browser (Debian's Chromium through Playwright) against a real
`smsgate serve`: sign in, create an app and copy its secret, send a code with it and watch it
reach "delivered", review a signature and a template, send with the template, reject a
signature with a reason, replay a dead callback, play a voice code, rotate the app's master
secret, sign out. Every page is photographed into the screenshot directory."""

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.browser import chromium, proof_png, screenshot_dir
from tests.e2e.server import SmsgateServer

DEADLINE_SECONDS = 20.0
MOBILE = "13800138000"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """A callback that fails once is dead at once: the test needs dead callbacks to replay."""
    return {"SMSGATE_CALLBACK_RETRY_DELAYS": ""}


class _RefusingApp(BaseHTTPRequestHandler):
    """An app's callback endpoint that passes the echostr check and then answers every
    callback 503."""

    def do_GET(self) -> None:
        echostr = parse_qs(urlsplit(self.path).query).get("echostr", [""])[0].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(echostr)))
        self.end_headers()
        self.wfile.write(echostr)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def refusing_app() -> Iterator[str]:
    peer = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingApp)
    # a short poll interval: shutdown() waits for the loop to look (0.5 s by default)
    thread = threading.Thread(target=peer.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{peer.server_address[1]}/callback"
    peer.shutdown()
    peer.server_close()


def _reload_until(page: Any, ready: Any, what: str) -> None:
    """Delivery is asynchronous: reload the page until it shows the outcome (with a deadline)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not ready():
        assert time.monotonic() < deadline, f"waited {DEADLINE_SECONDS} s for {what}"
        time.sleep(0.3)
        page.reload()


def _cli_beside_the_browser(server: SmsgateServer, *args: str) -> Any:
    """The CLI runs its own event loop; Playwright's sync API holds one in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(server.cli, *args).result()


def _submit_sign(api: httpx.Client, auth: tuple[str, str], text: str) -> int:
    answer = api.post(
        "/v1/sign",
        data={"sign": text, "type": "1", "remark": "company licence"},
        files={"image0": ("licence.png", proof_png(), "image/png")},
        auth=auth,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["sign_id"])


def _review(page: Any, card: str, verdict: str, reason: str = "") -> None:
    article = page.locator(card)
    if reason:
        article.locator("input[name=reason]").fill(reason)
    article.locator(f"button[value={verdict}]").click()
    page.wait_for_url("**/console/review")


def test_an_operator_runs_smsgate_from_the_browser(
    smsgate_server: SmsgateServer, tmp_path: Path, refusing_app: str
) -> None:
    server = smsgate_server
    shots = screenshot_dir(tmp_path / "screenshots")
    operator = server.cli("admin", "create", "--name", "ops", "--generate", "--json")
    with chromium() as browser, httpx.Client(base_url=server.base_url, timeout=10) as api:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # sign in (a wrong password first)
        page.goto(server.base_url + "/console/")
        assert page.url.endswith("/console/login")
        page.fill("input[name=name]", "ops")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        assert page.locator("p.error").is_visible()
        shot("01-login-refused")
        page.fill("input[name=name]", "ops")
        page.fill("input[name=password]", operator["password"])
        page.click("button[type=submit]")
        page.wait_for_url("**/console/overview")
        shot("02-overview-empty")

        # create an app and copy its secret
        page.goto(server.base_url + "/console/apps")
        page.fill("#create-app input[name=name]", "Shop")
        page.fill("#create-app input[name=balance]", "100")
        page.click("#create-app button[type=submit]")
        app_key = page.locator("#app-key").inner_text().strip()
        secret = page.locator("#master-secret").inner_text().strip()
        shot("03-app-created")
        auth = (app_key, secret)
        assert api.get("/v1/accounts/app", auth=auth).json()["app_balance"] == 100
        _cli_beside_the_browser(
            server,
            "app",
            "update",
            app_key,
            "--callback-url",
            refusing_app,
            "--master-secret",
            secret,
            "--json",
        )

        # a signature and a code template, each approved from the queue
        approved_sign = _submit_sign(api, auth, "ShopCo")
        template = api.post(
            "/v1/templates",
            json={"type": 1, "template": "Your ShopCo code is {{code}}.", "ttl": 300},
            auth=auth,
        )
        assert template.status_code == 200, template.text
        temp_id = template.json()["temp_id"]
        refused = api.post("/v1/codes", json={"mobile": MOBILE, "temp_id": temp_id}, auth=auth)
        assert refused.json()["error"]["code"] == 50020  # in review
        page.goto(server.base_url + "/console/review")
        card = page.locator(f"#template-{temp_id}")
        assert "【ShopCo】Your ShopCo code is 888888." in card.locator(".sms").inner_text()
        assert card.locator(".segments").inner_text() == "1"
        assert page.locator(f"#sign-{approved_sign} img").evaluate("img => img.naturalWidth") == 64
        shot("04-review-queue")
        _review(page, f"#sign-{approved_sign}", "approve")
        _review(page, f"#template-{temp_id}", "approve")

        # send with the approved template through the API; watch it reach "delivered"
        sent = api.post("/v1/codes", json={"mobile": MOBILE, "temp_id": temp_id}, auth=auth)
        assert sent.status_code == 200, sent.text
        msg_id = sent.json()["msg_id"]
        page.goto(server.base_url + f"/console/messages?mobile={MOBILE}")
        page.click(f"a[href$='/messages/{msg_id}']")
        status = page.locator("#message-status")
        _reload_until(page, lambda: status.get_attribute("data-status") == "delivered", "delivered")
        assert "4001" in page.locator("dl.facts").inner_text()
        shot("05-message-delivered")
        page.goto(server.base_url + f"/console/messages?app={app_key}&status=delivered")
        assert page.locator(f"a[href$='/messages/{msg_id}']").count() == 1
        shot("06-messages-search")
        page.goto(server.base_url + f"/console/reports?app={app_key}")
        page.click(f"#reports a[href$='/messages/{msg_id}']")  # a report leads to its message
        assert page.locator("#message-status").get_attribute("data-status") == "delivered"

        # reject a signature with a reason; the app reads the reason through the API
        rejected_sign = _submit_sign(api, auth, "ShopCoX")
        page.goto(server.base_url + "/console/review")
        _review(page, f"#sign-{rejected_sign}", "reject", "licence does not name ShopCoX")
        shown = api.get(f"/v1/sign/{rejected_sign}", auth=auth).json()
        assert shown["status"] == 2, shown

        # the verdicts' callbacks are dead (the app's endpoint refuses them): replay one
        page.goto(server.base_url + "/console/callbacks")
        _reload_until(
            page,
            lambda: page.locator("#dead-callbacks tr[data-callback]").count() >= 3,
            "dead callbacks",
        )
        shot("07-callbacks-dead")
        first = page.locator("#dead-callbacks tr[data-callback]").first
        entry = first.get_attribute("data-callback")
        first.locator("button").click()
        page.wait_for_url("**/console/callbacks")

        # a voice code's audio plays in the sandbox inbox
        voice = api.post("/v1/voice_codes", json={"mobile": MOBILE, "code": "246810"}, auth=auth)
        assert voice.status_code == 200, voice.text
        voice_id = voice.json()["msg_id"]
        page.goto(server.base_url + "/console/sandbox")
        _reload_until(
            page,
            lambda: page.locator(f"tr[data-msg='{voice_id}'] audio").count() == 1,
            "voice audio",
        )
        audio = page.locator(f"tr[data-msg='{voice_id}'] audio")
        audio.evaluate(
            "a => new Promise(done => a.readyState >= 1 ? done()"
            " : a.addEventListener('loadedmetadata', done))"
        )
        assert audio.evaluate("a => a.readyState") >= 1
        assert audio.evaluate("a => a.duration") > 1.0
        audio.evaluate("a => { a.muted = true; return a.play(); }")
        assert audio.evaluate("a => !a.paused || a.ended")
        shot("08-sandbox-voice")

        # the app's own page: a rotated master secret opens the API, the old one no longer
        page.goto(server.base_url + f"/console/apps/{app_key}")
        shot("09-app-page")
        page.click("#rotate-secret")
        rotated = page.locator("#master-secret").inner_text().strip()
        assert re.fullmatch(r"[0-9a-z]{24}", rotated) and rotated != secret
        assert api.get("/v1/accounts/app", auth=(app_key, rotated)).status_code == 200
        assert api.get("/v1/accounts/app", auth=auth).json()["error"]["code"] == 50002

        # every other page, in both languages
        for name in ("overview", "delivery", "apps", "schedules", "reports", "replies"):
            page.goto(server.base_url + f"/console/{name}")
            shot(f"09-{name}")
        page.goto(server.base_url + "/console/audit")
        audit = page.locator("#audit").inner_text()
        for action in (
            "create_app",
            "approve_sign",
            "approve_template",
            "reject_sign",
            "replay_callback",
            "rotate_secret",
        ):
            assert action in audit, action
        assert f"callback {entry}" in audit and "licence does not name ShopCoX" in audit
        shot("10-audit")
        page.click("a[href$='/console/language/zh']")
        assert "操作记录" in page.locator("h1").inner_text()
        page.goto(server.base_url + "/console/overview")
        shot("11-overview-zh")

        # sign out: the pages are closed again
        page.click("#sign-out")
        page.wait_for_url("**/console/login")
        page.goto(server.base_url + "/console/apps")
        assert page.url.endswith("/console/login")
        context.close()
    print(f"console screenshots: {shots}")
    assert len(list(shots.glob("*.png"))) >= 12
    assert re.fullmatch(r"[0-9a-z]{24}", app_key)
