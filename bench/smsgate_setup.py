"""What smsgate needs before it is measured: the code to run (the working tree or a git
revision), a fresh migrated data dir, and one app with an approved code template.

All of it happens in the run's temporary directory, through git and smsgate's own CLI, so the
checkout, its data and its smsgate.toml are left alone."""

import io
import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from errors import BenchError
from wrk import basic_auth

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_TEXT = "您的验证码是{{code}}，5分钟内有效。"


@dataclass(frozen=True)
class SmsgateSetup:
    env: dict[str, str]
    workdir: Path
    auth: str
    temp_id: int
    app_key: str = ""


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


def prepare_smsgate(workdir: Path, source: Path, limits: bool = False) -> SmsgateSetup:
    """A fresh data dir in `workdir`, migrated, with one unmetered app and an approved code
    template; the default frequency limits, or none."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = smsgate_env(workdir / "data", source, limits)
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
    return SmsgateSetup(
        env=env,
        workdir=workdir,
        auth=auth,
        temp_id=int(template["temp_id"]),
        app_key=app["app_key"],
    )


def smsgate_env(data_dir: Path, source: Path, limits: bool = False) -> dict[str, str]:
    """The server's and the CLI's environment: no inherited SMSGATE_* settings, code limits
    off, or with `limits` the default ones (each send goes to a new number, so none refuses;
    they are counted all the same).

    The processes run in the temporary directory, so no smsgate.toml of the checkout applies;
    PYTHONPATH makes `-m smsgate` import `source` whether or not smsgate is installed.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    env["SMSGATE_DATA_DIR"] = str(data_dir)
    if not limits:
        env["SMSGATE_CODE_LIMITS"] = ""  # the rule codes and type-1 templates count against
    env["SMSGATE_CREATE_DEMO"] = "false"
    env["SMSGATE_METRICS_PORT"] = "0"  # no metrics port: it would collide with a running smsgate
    return env


def smsgate_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    command = [sys.executable, "-m", "smsgate", *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"`smsgate {' '.join(args)}` failed:\n{done.stderr.strip()}")
    return done.stdout
