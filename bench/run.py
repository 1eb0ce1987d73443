"""Load benchmark: smsgate's send and verify endpoints against a bare FastAPI app, with wrk.

One run starts each server in its own process on 127.0.0.1, warms each endpoint up, measures it
with the same wrk settings, and prints (and writes to bench/results/latest.json) requests per
second, latency percentiles, error counts, CPU use and the ratio smsgate / bare per endpoint.

  bare          bench/bare_app.py: Basic auth + a uuid4, nothing else (the ceiling for FastAPI)
  send          POST /v1/codes, a new mobile number per request, the default frequency limits
  verify        POST /v1/codes/{msg_id}/valid with the right code, each code verified once
  message       POST /v1/messages (the code template, a code of the caller's), default limits
  send@half     send, paced at half the send run's rate (bench/paced.lua): its latency
  message@half  message, likewise
  send-off, verify-off, message-off   the same on a second server with the code limits off
  bare2         the bare app again, to see whether the machine stayed as fast as it was

Each smsgate server's peak resident memory (VmHWM) is read after its last run.

Usage: .venv/bin/python bench/run.py [--duration 10] [--connections 32] [--threads 1] [--rev REV]
"""

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The modules beside this file are imported by name, however run.py was started.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bare_app  # the baseline's credentials; importing it starts nothing
from errors import BenchError
from report import (
    PACED_SHARE,
    build_report,
    describe_source,
    finish_status,
    print_table,
    write_report,
)
from servers import Server, peak_rss_mb, running_bare_app, running_server
from smsgate_load import SmsgateLoad
from smsgate_setup import prepare_smsgate, smsgate_source
from wrk import (
    MOBILE_BLOCKS,
    Target,
    WrkResult,
    WrkSettings,
    basic_auth,
    find_wrk,
    measured,
    run_wrk,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.json"
MAX_THREADS = 10


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = find_wrk()
    if wrk is None:
        return 3
    settings = WrkSettings(args.threads, args.connections, args.duration, args.warmup)
    try:
        report = run_benchmark(wrk, settings, args.verify_headroom, args.rev)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        for note in getattr(error, "__notes__", []):
            print(note, file=sys.stderr)
        return 1
    print_table(report)
    write_report(report, args.output)
    return finish_status(report, args.fail_below_aim)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before (2)")
    parser.add_argument(
        "--verify-headroom",
        type=float,
        default=1.6,
        help="fresh codes prepared for the verify run, as a multiple of what the rate seen in "
        "its warm-up would use (1.6)",
    )
    parser.add_argument(
        "--rev",
        help="measure smsgate as committed at this git revision (e.g. HEAD) instead of the "
        "working tree; the checkout is not touched",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument(
        "--fail-below-aim", action="store_true", help="exit 4 when a ratio misses its aim"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.threads <= MAX_THREADS:
        parser.error(f"--threads must be 1..{MAX_THREADS}")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be >= 1 and --warmup >= 0")
    return args


def run_benchmark(
    wrk: str, settings: WrkSettings, headroom: float, rev: str | None
) -> dict[str, Any]:
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        workdir = Path(tmp)
        source = smsgate_source(rev, workdir)
        with running_bare_app(workdir) as bare_server:
            results = {"bare": measure_bare(wrk, settings, bare_server, "bare")}
            on, rss_on = measure_smsgate(wrk, settings, workdir / "on", source, headroom, True)
            off, rss_off = measure_smsgate(wrk, settings, workdir / "off", source, headroom, False)
            results |= on | {f"{name}-off": result for name, result in off.items()}
            results["bare2"] = measure_bare(wrk, settings, bare_server, "bare2")
    rss = {"limits on": rss_on, "limits off": rss_off}
    return build_report(started, settings, results, describe_source(rev), rss)


def measure_bare(wrk: str, settings: WrkSettings, server: Server, label: str) -> WrkResult:
    print(f"== bare FastAPI app ({'before' if label == 'bare' else 'after'} smsgate)", flush=True)
    target = Target(server, "/v1/codes", basic_auth(bare_app.APP_KEY, bare_app.MASTER_SECRET))
    send_args = ["send", str(MOBILE_BLOCKS[label]), "1"]
    run_wrk(wrk, settings, settings.warmup, target, send_args, "warm-up", quiet=True)
    return measured(run_wrk(wrk, settings, settings.duration, target, send_args, label))


def measure_smsgate(
    wrk: str,
    settings: WrkSettings,
    workdir: Path,
    source: Path,
    headroom: float,
    limits: bool,
) -> tuple[dict[str, WrkResult], float | None]:
    """Send, verify and message runs on a fresh server, with limits also the paced runs; and
    the server's peak resident memory in MB after them."""
    print(f"== smsgate on SQLite, frequency limits {'on' if limits else 'off'}", flush=True)
    setup = prepare_smsgate(workdir, source, limits)
    command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1"]
    with running_server("smsgate", command, setup.workdir, setup.env) as server:
        load = SmsgateLoad(wrk, settings, server, setup)
        send, accepted = load.measure_send()
        results = {"send": send, "verify": load.measure_verify(accepted, send.ok_rps, headroom)}
        results["message"] = load.measure_message()
        if limits:
            for kind in ("send", "message"):
                rate = results[kind].ok_rps * PACED_SHARE
                results[f"{kind}@half"] = load.measure_paced(kind, rate)
        rss = peak_rss_mb(server.process.pid)
    return results, rss


if __name__ == "__main__":
    sys.exit(main())
