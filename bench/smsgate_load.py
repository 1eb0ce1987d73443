"""The send and verify runs against one smsgate server, and the codes one leaves the other.

Each verify request needs a code that was delivered and not yet verified, so the codes sent are
read back from the sandbox inbox and topped up, unmeasured, when the verify run would run out."""

import json
import math
import re
import time
from dataclasses import dataclass

from errors import BenchError
from servers import Server
from smsgate_setup import SmsgateSetup, smsgate_cli
from wrk import MOBILE_BLOCKS, Target, WrkResult, WrkSettings, measured, run_wrk

CODE_PATTERN = re.compile(r"(?<!\d)(\d{6})(?!\d)")
# Without a verify warm-up to measure it, verify is assumed this much faster than send.
FALLBACK_VERIFY_SPEEDUP = 5.0
# Waiting for the sandbox gives up only when deliveries stop coming, however many are due.
INBOX_STALL_SECONDS = 30.0
# Each inbox read is a CLI process (about a CPU second), so it is not repeated too often.
INBOX_POLL_SECONDS = 2.0
# The sandbox writes a delivery report 0.5 s (its default delay) after each delivery. Once every
# code is in the inbox, waiting this long keeps those writes out of the verify window.
REPORT_SETTLE_SECONDS = 1.0
SCRIPT_PATHS = {"send": "/v1/codes", "message": "/v1/messages"}


@dataclass
class SmsgateLoad:
    """The wrk runs against one smsgate server, and the codes they leave for each other."""

    wrk: str
    settings: WrkSettings
    server: Server
    setup: SmsgateSetup

    def measure_send(self) -> tuple[WrkResult, int]:
        """The measured send run, after a warm-up; also how many sends were accepted."""
        warm = self.run(self.settings.warmup, self.send_args("warmup"), "warm-up", quiet=True)
        send = measured(self.run(self.settings.duration, self.send_args("send"), "send"))
        return send, send.ok + (warm.ok if warm else 0)

    def measure_message(self) -> WrkResult:
        """POST /v1/messages with the type-1 template and a code of the caller's, after a
        warm-up (run after verify: these texts land in the same sandbox inbox)."""
        self.run(self.settings.warmup, self.message_args("message-warmup"), "warm-up", quiet=True)
        return measured(self.run(self.settings.duration, self.message_args("message"), "message"))

    def measure_paced(self, kind: str, rate: float) -> WrkResult:
        """`kind` (send or message) at a fixed `rate`, for its latency below saturation."""
        label = f"{kind}@half"
        args = self.send_args if kind == "send" else self.message_args
        result = measured(self.run(self.settings.duration, args(f"{kind}-paced"), label, rate=rate))
        result.notes.append(f"paced at {rate:.0f} req/s")
        return result

    def measure_verify(self, accepted: int, send_rps: float, headroom: float) -> WrkResult:
        """Verify each delivered code once: a third of them warm up and give the verify rate,
        then more codes are sent (unmeasured) if the measured run would otherwise run out.

        The Lua script counts a request as `reused` when its thread ran out of fresh codes;
        those get 403 (50012 already verified) and show as non-2xx in the table.
        """
        pairs = wait_for_codes(self.setup, accepted)
        warm_pairs = pairs[: len(pairs) // 3] if self.settings.warmup else []
        warm = None
        if len(warm_pairs) >= self.settings.threads:
            args = self.verify_args("warmup", warm_pairs)
            warm = self.run(self.settings.warmup, args, "warm-up", quiet=True)
        verify_rps = warm.rps if warm else send_rps * FALLBACK_VERIFY_SPEEDUP
        needed = math.ceil(verify_rps * headroom * self.settings.duration)
        fresh = len(pairs) - len(warm_pairs)
        if needed > fresh:
            accepted += self.prefill(needed - fresh, send_rps)
            pairs = wait_for_codes(self.setup, accepted)
        used = {msg_id for msg_id, _ in warm_pairs}
        pairs = [pair for pair in pairs if pair[0] not in used]
        result = measured(
            self.run(self.settings.duration, self.verify_args("verify", pairs), "verify")
        )
        result.notes.append(f"{len(pairs)} fresh codes for {result.requests} requests")
        if result.reused:
            result.notes.append(
                f"{result.reused} requests re-verified a used code (raise --verify-headroom)"
            )
        return result

    def prefill(self, codes: int, send_rps: float) -> int:
        """Send about `codes` more codes, unmeasured; returns how many were accepted."""
        seconds = math.ceil(codes / max(send_rps, 1.0))
        print(f"   sending {codes} more codes for verify ({seconds}s, unmeasured)", flush=True)
        prefill = self.run(seconds, self.send_args("prefill"), "prefill", quiet=True)
        return prefill.ok if prefill else 0

    def send_args(self, block: str) -> list[str]:
        return ["send", str(MOBILE_BLOCKS[block]), str(self.setup.temp_id)]

    def message_args(self, block: str) -> list[str]:
        return ["message", str(MOBILE_BLOCKS[block]), str(self.setup.temp_id)]

    def verify_args(self, name: str, pairs: list[tuple[str, str]]) -> list[str]:
        path = self.setup.workdir / f"{name}-pairs.txt"
        path.write_text("".join(f"{msg_id} {code}\n" for msg_id, code in pairs))
        return ["verify", str(path), str(self.settings.threads)]

    def run(
        self,
        seconds: int,
        script_args: list[str],
        label: str,
        *,
        quiet: bool = False,
        rate: float | None = None,
    ) -> WrkResult | None:
        # Verify requests set their own path (it holds the msg_id).
        path = SCRIPT_PATHS.get(script_args[0], "/")
        target = Target(self.server, path, self.setup.auth)
        return run_wrk(
            self.wrk, self.settings, seconds, target, script_args, label, quiet=quiet, rate=rate
        )


def wait_for_codes(setup: SmsgateSetup, expected: int) -> list[tuple[str, str]]:
    """(msg_id, code) for every accepted send, once the sandbox has delivered them all.

    Delivery runs in the server shortly after each send; polling the inbox tells when it is
    done (or has stalled), and the settle pause keeps the delivery reports out of the verify
    window.
    """
    seen, last_progress = -1, time.monotonic()
    while True:
        pairs = read_inbox_codes(setup)
        if len(pairs) >= expected:
            time.sleep(REPORT_SETTLE_SECONDS)
            return pairs
        if len(pairs) > seen:
            seen, last_progress = len(pairs), time.monotonic()
        elif time.monotonic() - last_progress > INBOX_STALL_SECONDS:
            raise BenchError(
                f"the sandbox stopped delivering at {len(pairs)} of {expected} codes "
                f"(nothing new for {INBOX_STALL_SECONDS:.0f}s)"
            )
        time.sleep(INBOX_POLL_SECONDS)


def read_inbox_codes(setup: SmsgateSetup) -> list[tuple[str, str]]:
    rows = json.loads(smsgate_cli(["sandbox", "inbox", "--json"], setup.env, setup.workdir))
    pairs = []
    for row in rows:
        match = CODE_PATTERN.search(row["text"])
        if match is None:
            raise BenchError(f"no 6-digit code in sandbox text {row['text']!r}")
        pairs.append((row["msg_id"], match.group(1)))
    return pairs
