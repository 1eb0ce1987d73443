"""The report of one benchmark run: ratios to the bare app, the table with its verdicts and
warnings, the JSON file and the exit status.

The table, the file and the exit status all read the same dict, so they cannot disagree."""

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from wrk import WrkResult, WrkSettings, wrk_version

REPO_ROOT = Path(__file__).resolve().parent.parent
# The project's aims, with the default frequency limits on: smsgate should keep at least this
# share of the bare app's throughput; its accept latency at half its own maximum rate should
# stay under P99_AIM_MS; the server's peak resident memory under RSS_AIM_MB.
AIMS = {"send": 0.5, "verify": 0.6, "message": 0.5}
P99_AIM_MS = 20.0
RSS_AIM_MB = 150.0
# The paced runs' rate, as a share of the rate the same server reached unpaced.
PACED_SHARE = 0.5
# Runs with a throughput ratio: the aims' runs, and the same with limits off (no aim).
RATIO_RUNS = (*AIMS, *(f"{name}-off" for name in AIMS))
# The two bare runs differing by more than this share means the machine was not steady.
BARE_DRIFT_WARNING = 0.2
# CPU used by other processes during a measured run, in cores, above which the report warns.
BUSY_OTHER_CORES = 0.1


def build_report(
    started: datetime,
    settings: WrkSettings,
    results: dict[str, WrkResult],
    source: str,
    rss_mb: dict[str, float | None],
) -> dict[str, Any]:
    """Ratios use 2xx responses per second, so errors can never make smsgate look faster, and
    the mean of the two bare runs, so a machine that drifted moves both sides alike."""
    bare_rps = (results["bare"].ok_rps + results["bare2"].ok_rps) / 2
    ratios = {
        name: round(results[name].ok_rps / bare_rps, 3) if bare_rps else 0.0
        for name in RATIO_RUNS
        if name in results
    }
    bare_us = (server_us(results["bare"]) + server_us(results["bare2"])) / 2
    cost_ratios = {
        name: round(bare_us / server_us(results[name]), 3)
        for name in RATIO_RUNS
        if name in results and server_us(results[name]) > 0
    }
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
        "cpu_cost_ratios": cost_ratios,
        "aims": AIMS,
        "p99_aim_ms": P99_AIM_MS,
        "paced_share": PACED_SHARE,
        "peak_rss_mb": rss_mb,
        "rss_aim_mb": RSS_AIM_MB,
        "errors": sum(r.error_count for r in results.values()),
    }


def server_us(result: WrkResult) -> float:
    """As server_us_per_ok, on a WrkResult (0 without CPU samples or 2xx responses)."""
    if not result.cpu_cores or not result.ok:
        return 0.0
    return result.cpu_cores["server"] * result.duration_s / result.ok * 1e6


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "wrk": wrk_version(),
    }


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
    header = f"{'run':<14}{'req/s':>9}{'2xx/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    header += f"{'non-2xx':>9}{'sock err':>9}{'srv cpu':>9}{'other':>7}{'µs/2xx':>8}"
    header += f"{'ratio':>8}{'aim':>6}  verdict"
    print(header)
    print("-" * len(header))
    for name, result in report["results"].items():
        print(table_row(name, result, report["ratios"].get(name), report["aims"].get(name)))
    print_latency_and_memory(report)
    print_notes(report)


def print_latency_and_memory(report: dict[str, Any]) -> None:
    """The paced runs' p99 and each server's peak memory, against their aims."""
    for name, result in report["results"].items():
        if name.endswith("@half"):
            p99 = result["latency_ms"]["p99"]
            verdict = "meets aim" if p99 <= report["p99_aim_ms"] else "above aim"
            print(
                f"{name}: p99 {p99:.1f} ms at {result['ok_rps']:.0f} 2xx/s "
                f"(aim <= {report['p99_aim_ms']:.0f} ms): {verdict}"
            )
    for server, rss in report["peak_rss_mb"].items():
        if rss is None:
            print(f"peak RSS, {server}: unknown (no /proc)")
            continue
        verdict = "meets aim" if rss < report["rss_aim_mb"] else "above aim"
        print(f"peak RSS, {server}: {rss:.0f} MB (aim < {report['rss_aim_mb']:.0f} MB): {verdict}")


def print_notes(report: dict[str, Any]) -> None:
    """What makes a row less trustworthy than it looks: reused codes, errors, a busy machine."""
    for name, result in report["results"].items():
        for note in result["notes"]:
            print(f"note ({name}): {note}")
    costs = ", ".join(f"{name} {ratio:.2f}" for name, ratio in report["cpu_cost_ratios"].items())
    print(
        "server CPU per 2xx, bare's over smsgate's (the ratio a CPU to itself would give): " + costs
    )
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


def server_us_per_ok(result: dict[str, Any]) -> float:
    """The server's CPU time per 2xx response: what a request costs it, whatever share of the
    CPUs it got. On a machine shared with other work this moves far less than req/s does."""
    if not result["cpu_cores"] or not result["ok"]:
        return math.nan
    return float(result["cpu_cores"]["server"] * result["duration_s"] / result["ok"] * 1e6)


def table_row(name: str, result: dict[str, Any], ratio: float | None, aim: float | None) -> str:
    latency = result["latency_ms"]
    row = f"{name:<14}{result['rps']:>9.0f}{result['ok_rps']:>9.0f}"
    row += f"{latency['p50']:>9.1f}{latency['p99']:>9.1f}"
    row += f"{result['non_2xx']:>9}{sum(result['socket_errors'].values()):>9}"
    cpu = result["cpu_cores"] or {"server": math.nan, "other": math.nan}
    row += f"{cpu['server']:>9.2f}{cpu['other']:>7.2f}{server_us_per_ok(result):>8.0f}"
    if ratio is None:
        return row
    if aim is None:
        return row + f"{ratio:>8.3f}"
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
    below = [
        name
        for name, ratio in report["ratios"].items()
        if name in report["aims"] and ratio < report["aims"][name]
    ]
    slow = [
        name
        for name, result in report["results"].items()
        if name.endswith("@half") and result["latency_ms"]["p99"] > report["p99_aim_ms"]
    ]
    heavy = [rss for rss in report["peak_rss_mb"].values() if rss and rss >= report["rss_aim_mb"]]
    if fail_below_aim and (below or slow or heavy):
        return 4
    return 0
