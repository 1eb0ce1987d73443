"""Load benchmark: smsgate's send and verify endpoints against a bare FastAPI app, with wrk.

One run starts each server in its own process on 127.0.0.1, warms each endpoint up, measures it
with the same wrk settings, and prints (and writes to bench/results/latest.json) requests per
second, latency percentiles, error counts, CPU use and the ratio smsgate / bare per endpoint.

  bare     bench/bare_app.py: Basic auth + a uuid4, nothing else (the ceiling for FastAPI here)
  send     POST /v1/codes, a new mobile number per request, frequency limits off
  verify   POST /v1/codes/{msg_id}/valid with the right code, each code verified exactly once
  bare2    the bare app again, to see whether the machine stayed as fast as it was

Usage: .venv/bin/python bench/run.py [--duration 10] [--connections 32] [--threads 1] [--rev REV]
"""

import argparse
import base64
import io
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
LUA_SCRIPT = BENCH_DIR / "jsms.lua"
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"

sys.path.insert(0, str(BENCH_DIR))
import bare_app  # noqa: E402  (the baseline's credentials; importing it starts nothing)

# The project's aims: smsgate should keep at least this share of the bare app's throughput.
AIMS = {"send": 0.5, "verify": 0.6}
TEMPLATE_TEXT = "您的验证码是{{code}}，5分钟内有效。"
CODE_PATTERN = re.compile(r"(?<!\d)(\d{6})(?!\d)")
# Mobile numbers: each wrk run counts up from its own block (the Lua script adds 10**7 per
# wrk thread), so no two requests of a whole benchmark run share a number.
MOBILE_BLOCKS = {
    "bare": 13000000000,
    "bare2": 13100000000,
    "warmup": 13900000000,
    "send": 13800000000,
    "prefill": 15000000000,
}
# Without a verify warm-up to measure it, verify is assumed this much faster than send.
FALLBACK_VERIFY_SPEEDUP = 5.0
MAX_THREADS = 10
READY_TIMEOUT = 30.0
# Waiting for the sandbox gives up only when deliveries stop coming, however many are due.
INBOX_STALL_SECONDS = 30.0
# Each inbox read is a CLI process (about a CPU second), so it is not repeated too often.
INBOX_POLL_SECONDS = 2.0
# The two bare runs differing by more than this share means the machine was not steady.
BARE_DRIFT_WARNING = 0.2
# CPU used by other processes during a measured run, in cores, above which the report warns.
BUSY_OTHER_CORES = 0.1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The sandbox writes a delivery report 0.5 s (its default delay) after each delivery. Once every
# code is in the inbox, waiting this long keeps those writes out of the verify window.
REPORT_SETTLE_SECONDS = 1.0


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


@dataclass
class Server:
    """A server process in its own session, so stopping it stops everything it started."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class SmsgateSetup:
    env: dict[str, str]
    workdir: Path
    auth: str
    temp_id: int


class BenchError(RuntimeError):
    """A run that cannot produce trustworthy numbers; the message says why."""


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


def run_benchmark(
    wrk: str, settings: WrkSettings, headroom: float, rev: str | None
) -> dict[str, Any]:
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        workdir = Path(tmp)
        source = smsgate_source(rev, workdir)
        with running_bare_app(workdir) as bare_server:
            bare = measure_bare(wrk, settings, bare_server, "bare")
            send, verify = measure_smsgate(wrk, settings, workdir, source, headroom)
            bare_again = measure_bare(wrk, settings, bare_server, "bare2")
    results = {"bare": bare, "send": send, "verify": verify, "bare2": bare_again}
    return build_report(started, settings, results, describe_source(rev))


def smsgate_source(rev: str | None, workdir: Path) -> Path:
    """The directory holding the smsgate package to measure: this checkout, or `rev` exported
    with `git archive` into the temporary directory (so a half-edited tree can be left alone)."""
    if rev is None:
        return REPO_ROOT
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", rev, "smsgate"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise BenchError(f"git archive {rev} failed: {archive.stderr.decode().strip()}")
    target = workdir / "source"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


# --- the bare app ---------------------------------------------------------------------------


@contextmanager
def running_bare_app(workdir: Path) -> Iterator[Server]:
    """The baseline server, started once and measured before and after smsgate: it sits idle
    (using no CPU) in between, and the two measurements show how steady the machine was."""
    command = [sys.executable, str(BENCH_DIR / "bare_app.py"), "--host", "127.0.0.1"]
    with running_server("bare", command, workdir, dict(os.environ)) as server:
        yield server


def measure_bare(wrk: str, settings: WrkSettings, server: Server, label: str) -> WrkResult:
    print(f"== bare FastAPI app ({'before' if label == 'bare' else 'after'} smsgate)", flush=True)
    target = Target(server, "/v1/codes", basic_auth(bare_app.APP_KEY, bare_app.MASTER_SECRET))
    send_args = ["send", str(MOBILE_BLOCKS[label]), "1"]
    run_wrk(wrk, settings, settings.warmup, target, send_args, "warm-up", quiet=True)
    return measured(run_wrk(wrk, settings, settings.duration, target, send_args, label))


# --- smsgate --------------------------------------------------------------------------------


def measure_smsgate(
    wrk: str, settings: WrkSettings, workdir: Path, source: Path, headroom: float
) -> tuple[WrkResult, WrkResult]:
    print("== smsgate on SQLite", flush=True)
    setup = prepare_smsgate(workdir, source)
    command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1"]
    with running_server("smsgate", command, setup.workdir, setup.env) as server:
        load = SmsgateLoad(wrk, settings, server, setup)
        send, accepted = load.measure_send()
        verify = load.measure_verify(accepted, send.ok_rps, headroom)
    return send, verify


def prepare_smsgate(workdir: Path, source: Path) -> SmsgateSetup:
    """A fresh data dir, migrated, with one unmetered app and an approved code template."""
    env = smsgate_env(workdir / "data", source)
    smsgate_cli(["migrate"], env, workdir)
    app = json.loads(
        smsgate_cli(
            ["app", "create", "--name", "bench", "--sign", "smsgate", "--json"], env, workdir
        )
    )
    template = json.loads(
        smsgate_cli(
            [
                "template",
                "create",
                "--app",
                app["app_key"],
                "--type",
                "1",
                "--template",
                TEMPLATE_TEXT,
                "--ttl",
                "300",
                "--approve",
                "--json",
            ],
            env,
            workdir,
        )
    )
    auth = basic_auth(app["app_key"], app["master_secret"])
    return SmsgateSetup(env=env, workdir=workdir, auth=auth, temp_id=int(template["temp_id"]))


def smsgate_env(data_dir: Path, source: Path) -> dict[str, str]:
    """The server's and the CLI's environment: no inherited SMSGATE_* settings, limits off.

    The processes run in the temporary directory, so no smsgate.toml of the checkout applies;
    PYTHONPATH makes `-m smsgate` import `source` whether or not smsgate is installed.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    env["SMSGATE_DATA_DIR"] = str(data_dir)
    env["SMSGATE_CODE_LIMITS"] = ""
    env["SMSGATE_CREATE_DEMO"] = "false"
    return env


def smsgate_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    command = [sys.executable, "-m", "smsgate", *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"`smsgate {' '.join(args)}` failed:\n{done.stderr.strip()}")
    return done.stdout


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

    def verify_args(self, name: str, pairs: list[tuple[str, str]]) -> list[str]:
        path = self.setup.workdir / f"{name}-pairs.txt"
        path.write_text("".join(f"{msg_id} {code}\n" for msg_id, code in pairs))
        return ["verify", str(path), str(self.settings.threads)]

    def run(
        self, seconds: int, script_args: list[str], label: str, *, quiet: bool = False
    ) -> WrkResult | None:
        # Verify requests set their own path (it holds the msg_id).
        path = "/v1/codes" if script_args[0] == "send" else "/"
        target = Target(self.server, path, self.setup.auth)
        return run_wrk(self.wrk, self.settings, seconds, target, script_args, label, quiet=quiet)


# --- processes ------------------------------------------------------------------------------


@contextmanager
def running_server(
    name: str, command: list[str], workdir: Path, env: dict[str, str]
) -> Iterator[Server]:
    """Start `command --port PORT`, wait until it accepts connections, always stop it.

    A BenchError raised inside gets the end of this server's log as a note, from the innermost
    server only (the one that was being measured)."""
    port = free_port()
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, process, port, log_path)
    try:
        wait_until_listening(server)
        yield server
    except BenchError as error:
        if not getattr(error, "__notes__", None):
            error.add_note(f"--- last lines of the {name} server log:\n{log_tail(log_path)}")
        raise
    finally:
        stop(process)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(server: Server) -> None:
    """Poll the port until it accepts a connection; fail early when the process exits."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.process.returncode} at start")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"{server.name} did not listen within {READY_TIMEOUT}s") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (uvicorn shuts down cleanly), SIGKILL it if that hangs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- wrk ------------------------------------------------------------------------------------


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Target:
    """Where a wrk run sends its requests, and with which credentials."""

    server: Server
    path: str
    auth: str


def run_wrk(
    wrk: str,
    settings: WrkSettings,
    seconds: int,
    target: Target,
    script_args: list[str],
    label: str,
    *,
    quiet: bool = False,
) -> WrkResult | None:
    """One wrk run of `seconds` (None for none: a warm-up of 0 s is no run)."""
    if seconds <= 0:
        return None
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
        str(LUA_SCRIPT),
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


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by the whole machine, the server and this script's children.

    The difference over a wrk run shows whether something else competed for the CPUs: wrk and
    the server share them, and anything more makes the numbers lower than they should be.
    "other" also holds the kernel's loopback network work (about 0.1 core at 5000 req/s).
    """

    wall: float
    machine: float
    server: float
    children: float

    @classmethod
    def take(cls, server_pid: int) -> "CpuSample":
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            wall=time.monotonic(),
            machine=machine_busy_seconds(),
            server=process_cpu_seconds(server_pid),
            children=usage.ru_utime + usage.ru_stime,
        )

    def cores_since(self, before: "CpuSample") -> dict[str, float] | None:
        """Average cores used by the server, wrk and everything else; None without /proc."""
        wall = self.wall - before.wall
        if wall <= 0 or self.machine <= 0:
            return None
        server = (self.server - before.server) / wall
        wrk = (self.children - before.children) / wall
        other = (self.machine - before.machine) / wall - server - wrk
        return {"server": round(server, 2), "wrk": round(wrk, 2), "other": round(other, 2)}


def machine_busy_seconds() -> float:
    """Busy (not idle, not waiting for I/O) CPU seconds of all CPUs since boot; 0 without /proc."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process, all its threads; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


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


# --- the report -----------------------------------------------------------------------------


def build_report(
    started: datetime, settings: WrkSettings, results: dict[str, WrkResult], source: str
) -> dict[str, Any]:
    """Ratios use 2xx responses per second, so errors can never make smsgate look faster, and
    the mean of the two bare runs, so a machine that drifted moves both sides alike."""
    bare_rps = (results["bare"].ok_rps + results["bare2"].ok_rps) / 2
    ratios = {name: round(results[name].ok_rps / bare_rps, 3) if bare_rps else 0.0 for name in AIMS}
    drift = abs(results["bare"].ok_rps - results["bare2"].ok_rps) / bare_rps if bare_rps else 0.0
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "smsgate": source,
        "wrk": asdict(settings),
        "environment": environment(),
        "results": {name: {**asdict(r), "ok": r.ok} for name, r in results.items()},
        "bare_rps_mean": round(bare_rps, 1),
        "bare_drift": round(drift, 3),
        "ratios": ratios,
        "aims": AIMS,
        "errors": sum(r.error_count for r in results.values()),
    }


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "wrk": wrk_version(),
    }


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).splitlines()[0].strip() if done.stdout or done.stderr else ""
    )


def describe_source(rev: str | None) -> str:
    """What was measured: a commit, or the working tree (marked when smsgate/ has edits)."""
    commit = git(["rev-parse", "--short", rev or "HEAD"]) or "unknown commit"
    if rev is not None:
        return f"{rev} ({commit})"
    edited = git(["status", "--porcelain", "--", "smsgate"])
    return f"working tree at {commit}" + (" with uncommitted changes" if edited else "")


def git(args: list[str]) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def print_table(report: dict[str, Any]) -> None:
    wrk = report["wrk"]
    print(f"\nsmsgate: {report['smsgate']}")
    print(
        f"wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration']}s "
        f"(warm-up {wrk['warmup']}s), {report['environment']['cpus']} CPUs shared by wrk and "
        "the server"
    )
    header = f"{'run':<8}{'req/s':>9}{'2xx/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    header += f"{'non-2xx':>9}{'sock err':>9}{'srv cpu':>9}{'other':>7}"
    header += f"{'ratio':>8}{'aim':>6}  verdict"
    print(header)
    print("-" * len(header))
    for name, result in report["results"].items():
        print(table_row(name, result, report["ratios"].get(name), report["aims"].get(name)))
    print_notes(report)


def print_notes(report: dict[str, Any]) -> None:
    """What makes a row less trustworthy than it looks: reused codes, errors, a busy machine."""
    for name, result in report["results"].items():
        for note in result["notes"]:
            print(f"note ({name}): {note}")
    drift = report["bare_drift"]
    print(
        f"ratios are to the mean of the two bare runs ({report['bare_rps_mean']:.0f} 2xx/s), "
        f"which differ by {drift:.0%}"
    )
    if drift > BARE_DRIFT_WARNING:
        print("WARNING: the bare runs differ a lot: the machine was not steady")
    if report["errors"]:
        print(f"WARNING: {report['errors']} failed requests; the numbers above are not clean")
    busy = {
        name: result["cpu_cores"]["other"]
        for name, result in report["results"].items()
        if result["cpu_cores"] and result["cpu_cores"]["other"] > BUSY_OTHER_CORES
    }
    if busy:
        shares = ", ".join(f"{name} {cores:.2f}" for name, cores in busy.items())
        print(
            f"WARNING: other processes used CPU during the runs (cores: {shares}); the numbers, "
            "and the ratios between runs made at different times, are disturbed"
        )


def table_row(name: str, result: dict[str, Any], ratio: float | None, aim: float | None) -> str:
    latency = result["latency_ms"]
    row = f"{name:<8}{result['rps']:>9.0f}{result['ok_rps']:>9.0f}"
    row += f"{latency['p50']:>9.1f}{latency['p99']:>9.1f}"
    row += f"{result['non_2xx']:>9}{sum(result['socket_errors'].values()):>9}"
    cpu = result["cpu_cores"] or {"server": math.nan, "other": math.nan}
    row += f"{cpu['server']:>9.2f}{cpu['other']:>7.2f}"
    if ratio is None or aim is None:
        return row
    verdict = "meets aim" if ratio >= aim else "below aim"
    return row + f"{ratio:>8.3f}{aim:>6.1f}  {verdict}"


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {path}")


def finish_status(report: dict[str, Any], fail_below_aim: bool) -> int:
    """2 when any request failed (such numbers mislead), 4 for a missed aim if asked, else 0."""
    if report["errors"]:
        return 2
    below = [name for name, ratio in report["ratios"].items() if ratio < report["aims"][name]]
    if fail_below_aim and below:
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
