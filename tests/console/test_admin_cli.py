"""`smsgate admin create`: a prompted or generated password, stored as an argon2 hash only."""

import json
from pathlib import Path

from click.testing import Result
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from smsgate.cli import cli


def _admin(tmp_path: Path, *args: str, typed: str | None = None) -> Result:
    env = {"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_DATABASE_URL": ""}
    return CliRunner().invoke(cli, ["admin", "create", *args], input=typed, env=env)


def _stored_hashes(tmp_path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{tmp_path / 'smsgate.db'}")
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT password_hash FROM operators")).scalars())


def test_a_generated_password_is_printed_once_and_stored_hashed(tmp_path: Path) -> None:
    result = _admin(tmp_path, "--name", "ops", "--generate", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["name"] == "ops" and len(created["password"]) >= 20
    [stored] = _stored_hashes(tmp_path)
    assert stored.startswith("$argon2id$") and created["password"] not in stored


def test_a_prompted_password_is_asked_twice_and_never_printed(tmp_path: Path) -> None:
    result = _admin(tmp_path, "--name", "ops", typed="a long enough secret\n" * 2)
    assert result.exit_code == 0, result.output
    assert "operator ops created" in result.stdout
    assert "a long enough secret" not in result.output
    assert len(_stored_hashes(tmp_path)) == 1


def test_short_passwords_bad_names_and_taken_names_are_refused(tmp_path: Path) -> None:
    short = _admin(tmp_path, "--name", "ops", typed="short\nshort\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.stderr
    assert _admin(tmp_path, "--name", "ops", "--generate").exit_code == 0
    taken = _admin(tmp_path, "--name", "ops", "--generate")
    assert taken.exit_code != 0 and "exists" in taken.stderr
    bad = _admin(tmp_path, "--name", "-x y", "--generate")
    assert bad.exit_code != 0 and "name" in bad.stderr
    assert len(_stored_hashes(tmp_path)) == 1
