"""wrk: finding it, running it with bench/jsms.lua, and reading what the script prints.

Every run of the benchmark, measured or not, goes through run_wrk, so all of them use the same
wrk settings and give the same fields."""

import base64
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cpu import CpuSample
from errors import BenchError
from servers import Server

LUA_SCRIPT = Path(__file__).resolve().parent / "jsms.lua"
# The same requests at a fixed rate: the rate per wrk thread follows the script's arguments.
PACED_LUA_SCRIPT = Path(__file__).resolve().parent / "paced.lua"
# Mobile numbers: each wrk run scatters its numbers over its own block of 10**8 (see
# jsms.lua), so no two requests of a whole benchmark run share a number.
MOBILE_BLOCKS = {
    "bare": 13000000000,
    "bare2": 13100000000,
    "warmup": 13900000000,
    "send": 13800000000,
    "prefill": 15000000000,
    "message-warmup": 13200000000,
    "message": 13300000000,
    "send-paced": 13400000000,
    "message-paced": 13500000000,
}


@dataclass(frozen=True)
class WrkSettings:
    threads: int
    connections: int
    duration: int
    warmup: int


@dataclass
class WrkResult:
    """One wrk run, as reported by the Lua script's done() (latencies in milliseconds)."""

    requests: int
    duration_s: float
    rps: float
    ok_rps: float
    latency_ms: dict[str, float]
    statuses: dict[str, int]
    non_2xx: int
    socket_errors: dict[str, int]
    reused: int = 0
    cpu_cores: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("2"))

    @property
    def error_count(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Target:
    """Where a wrk run sends its requests, and with which credentials."""

    server: Server
    path: str
    auth: str


def find_wrk() -> str | None:
    """wrk's path, or None after saying how to install it.

    The benchmark does not install it by itself even as root: changing the machine's packages
    is left to the person running it.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrk is not installed. Install it with:\n"
            "    apt-get install -y wrk\n"
            "(as root; run `apt-get update` first if the package is not found)",
            file=sys.stderr,
        )
    return wrk


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).splitlines()[0].strip() if done.stdout or done.stderr else ""
    )


def run_wrk(
    wrk: str,
    settings: WrkSettings,
    seconds: int,
    target: Target,
    script_args: list[str],
    label: str,
    *,
    quiet: bool = False,
    rate: float | None = None,
) -> WrkResult | None:
    """One wrk run of `seconds` (None for none: a warm-up of 0 s is no run); with `rate`,
    paced at that many requests per second in all (bench/paced.lua)."""
    if seconds <= 0:
        return None
    script = LUA_SCRIPT
    if rate is not None:
        script = PACED_LUA_SCRIPT
        script_args = [*script_args, f"{rate / settings.threads:.3f}"]
    command = [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: {target.auth}",
        "-H",
        "Content-Type: application/json",
        "-s",
        str(script),
        target.server.base_url + target.path,
        "--",
        *script_args,
    ]
    before = CpuSample.take(target.server.process.pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = CpuSample.take(target.server.process.pid)
    if done.returncode != 0:
        raise BenchError(f"wrk ({label}) exited with {done.returncode}:\n{done.stderr.strip()}")
    result = parse_wrk(done.stdout)
    result.cpu_cores = after.cores_since(before)
    if not quiet:
        print(f"   {label}: {summary_line(result)}", flush=True)
    return result


def measured(result: WrkResult | None) -> WrkResult:
    """A measured run always runs (its duration is at least 1 s); this tells the type checker."""
    if result is None:
        raise BenchError("a measured run did not run")
    return result


def parse_wrk(stdout: str) -> WrkResult:
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk printed no BENCH_RESULT line:\n{stdout}")
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    duration_s = raw["duration_us"] / 1e6
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    errors = raw["errors"]
    return WrkResult(
        requests=raw["requests"],
        duration_s=round(duration_s, 3),
        rps=round(raw["requests"] / duration_s, 1),
        ok_rps=round(ok / duration_s, 1),
        latency_ms={k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
        statuses=statuses,
        non_2xx=raw["requests"] - ok,
        socket_errors={k: errors[k] for k in ("connect", "read", "write", "timeout")},
        reused=raw["reused"],
    )


def summary_line(result: WrkResult) -> str:
    return (
        f"{result.rps:.0f} req/s, p99 {result.latency_ms['p99']:.1f} ms, "
        f"{result.non_2xx} non-2xx, {sum(result.socket_errors.values())} socket errors"
    )
