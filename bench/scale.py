"""Accepting sends on PostgreSQL: one `smsgate serve` process, then `serve --workers N`, next to
the bare FastAPI endpoint in the same run.

  bare      bench/bare_app.py, before and after (the mean is the base of each ratio)
  serve     `smsgate serve` on a new PostgreSQL database, default frequency limits ON
  workers   `smsgate serve --workers N` (N API processes, delivery in one more) on another new
            database, the same limits

Each smsgate run posts POST /v1/codes with a new number per request (bench/jsms.lua), after a
warm-up, with the same wrk settings as the bare runs. The ratio is smsgate's 2xx/s over the bare
endpoint's; "per process" divides it by the API processes.

Usage: .venv/bin/python bench/scale.py postgresql://postgres@127.0.0.1:5432/postgres
       [--workers 2] [--duration 10] [--connections 32] [--separate-delivery]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from errors import BenchError
from run import measure_bare
from servers import Server, running_bare_app, running_server
from smsgate_setup import REPO_ROOT, TEMPLATE_TEXT, SmsgateSetup, smsgate_cli, smsgate_env
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


@contextmanager
def new_database(admin_url: str) -> Iterator[str]:
    """A new database on the server of `admin_url`, dropped afterwards."""
    name = f"smsgate_scale_{uuid.uuid4().hex[:12]}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    if SYNCHRONOUS_COMMIT:  # the operator's choice, per database, for every session on it
        asyncio.run(
            execute(f'ALTER DATABASE "{name}" SET synchronous_commit = {SYNCHRONOUS_COMMIT}')
        )
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


def prepare_on(url: str, workdir: Path) -> SmsgateSetup:
    """A migrated database with one app and an approved code template, made with smsgate's
    CLI as bench/run.py makes them, but with the default frequency limits left on."""
    env = smsgate_env(workdir / "data", REPO_ROOT)
    env["SMSGATE_DATABASE_URL"] = url
    del env["SMSGATE_CODE_LIMITS"]
    smsgate_cli(["migrate"], env, workdir)
    app = json.loads(
        smsgate_cli(
            ["app", "create", "--name", "scale", "--sign", "smsgate", "--json"], env, workdir
        )
    )
    template = json.loads(
        smsgate_cli(
            [
                *("template", "create", "--app", app["app_key"], "--type", "1"),
                *("--template", TEMPLATE_TEXT, "--ttl", "300", "--approve", "--json"),
            ],
            env,
            workdir,
        )
    )
    auth = basic_auth(app["app_key"], app["master_secret"])
    return SmsgateSetup(env, workdir, auth, int(template["temp_id"]), app["app_key"])


START_TIMEOUT_SECONDS = 120.0
EXTRA_ENV: dict[str, str] = {}  # --env NAME=VALUE
SYNCHRONOUS_COMMIT = ""  # --synchronous-commit: PostgreSQL's setting for the new databases


def measure_serve(
    wrk: str, settings: WrkSettings, admin_url: str, serve_args: list[str], label: str
) -> WrkResult:
    print(f"== smsgate serve {' '.join(serve_args)} on PostgreSQL", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="smsgate-scale-") as tmp,
        new_database(admin_url) as url,
    ):
        setup = prepare_on(url, Path(tmp))
        setup.env.update(EXTRA_ENV)
        command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1", *serve_args]
        with running_server("smsgate", command, setup.workdir, setup.env) as server:
            wait_until_all_serve(server)
            target = Target(server, "/v1/codes", setup.auth)
            warm = ["send", str(MOBILE_BLOCKS["warmup"]), str(setup.temp_id)]
            # Until every process answers: the port is bound before all of them serve.
            run_wrk(wrk, settings, max(settings.warmup, 5), target, warm, "warm-up", quiet=True)
            args = ["send", str(MOBILE_BLOCKS["send"]), str(setup.temp_id)]
            return measured(run_wrk(wrk, settings, settings.duration, target, args, label))


def wait_until_all_serve(server: Server) -> None:
    """Until serve says that it serves: with several processes, the port answers as soon as
    the first one listens, while the others are still starting (and using the CPU)."""
    wanted = f"Uvicorn running on http://127.0.0.1:{server.port}".encode()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while wanted not in server.log_path.read_bytes():
        if time.monotonic() > deadline:
            raise BenchError(f"smsgate did not say it serves in {START_TIMEOUT_SECONDS} s")
        time.sleep(0.1)


def line(label: str, result: WrkResult, base: float, processes: int) -> str:
    ratio = result.ok_rps / base
    return (
        f"{label:<28} {result.ok_rps:8.0f} 2xx/s  p50 {result.latency_ms['p50']:6.1f} ms  "
        f"p99 {result.latency_ms['p99']:6.1f} ms  non-2xx {result.non_2xx:5}  "
        f"ratio {ratio:.3f}  per process {ratio / processes:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("admin_url", help="PostgreSQL server (new databases are made on it)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra SMSGATE_* setting for the smsgate servers (repeatable)",
    )
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        help="set PostgreSQL's synchronous_commit on the new databases (default: the server's)",
    )
    parser.add_argument(
        "--separate-delivery",
        action="store_true",
        help="also measure one API process with delivery in its own process",
    )
    args = parser.parse_args()
    wrk = find_wrk()
    if wrk is None:
        sys.exit(3)
    settings = WrkSettings(1, args.connections, args.duration, args.warmup)
    EXTRA_ENV.update(item.split("=", 1) for item in args.env)
    global SYNCHRONOUS_COMMIT
    SYNCHRONOUS_COMMIT = args.synchronous_commit or ""
    if SYNCHRONOUS_COMMIT:
        print(f"synchronous_commit = {SYNCHRONOUS_COMMIT}")
    if EXTRA_ENV:
        print(f"smsgate settings: {EXTRA_ENV}")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    runs: list[tuple[str, WrkResult, int]] = []
    with (
        tempfile.TemporaryDirectory(prefix="smsgate-scale-bare-") as tmp,
        running_bare_app(Path(tmp)) as bare_server,
    ):
        bare = measure_bare(wrk, settings, bare_server, "bare")
        runs.append(("serve", measure_serve(wrk, settings, args.admin_url, [], "serve"), 1))
        if args.separate_delivery:
            result = measure_serve(wrk, settings, args.admin_url, ["--separate-delivery"], "sep")
            runs.append(("serve --separate-delivery", result, 1))
        workers = ["--workers", str(args.workers)]
        result = measure_serve(wrk, settings, args.admin_url, workers, "workers")
        runs.append((f"serve --workers {args.workers}", result, args.workers))
        bare_again = measure_bare(wrk, settings, bare_server, "bare2")
    base = (bare.ok_rps + bare_again.ok_rps) / 2
    print(f"bare endpoint {bare.ok_rps:.0f} and {bare_again.ok_rps:.0f} 2xx/s (base {base:.0f})")
    for label, result, processes in runs:
        print(line(label, result, base, processes))
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
