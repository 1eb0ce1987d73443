"""Debian's Chromium driven by Playwright, for the console's browser tests.

Playwright cannot download its own browser here, so it launches the system one; a machine
without it (or where it cannot start) skips the tests with the reason.
"""

import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS_ENV = "SMSGATE_CONSOLE_SCREENSHOTS"


@contextmanager
def chromium() -> Iterator[object]:
    """A started browser, or a skip saying why there is none."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk (make test-peers)"
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            pytest.skip(f"Chromium did not start: {error.message.splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()


def screenshot_dir(fallback: Path) -> Path:
    """Where the run writes its screenshots: $SMSGATE_CONSOLE_SCREENSHOTS, else the test's
    temporary directory (never the repository)."""
    directory = Path(os.environ.get(SCREENSHOTS_ENV) or fallback)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def proof_png(width: int = 64, height: int = 40) -> bytes:
    """A real PNG (a blue and white stripe pattern) for a signature's proof image."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            b"\x1f\x6f\xeb" if (x // 8 + y // 8) % 2 else b"\xff\xff\xff" for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
