"""The delivery configuration file: what it accepts, and how it says what is wrong."""

import tomllib
from pathlib import Path

import pytest

from smsgate.delivery.config import (
    InvalidDeliveryConfig,
    load_delivery_config,
    parse_delivery_config,
)
from smsgate.delivery.providers.sandbox import SandboxConfig
from smsgate.settings import Settings

SOURCE = Path("smsgate.toml")
X = '[[providers]]\nname = "x"\ntype = "sandbox"\n'  # one valid provider


def parse(text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return parse_delivery_config(tomllib.loads(text), SOURCE, env or {})


def test_providers_and_routes_as_written() -> None:
    config = parse(
        """
        [[providers]]
        name = "a"
        type = "sandbox"
        [[providers]]
        name = "b"
        type = "sandbox"
        report_delay = 2.5
        [[routes]]
        match = "+86"
        providers = ["a", "b"]
        weights = [3, 1]
        [[routes]]
        match = "*"
        providers = ["b"]
        channel = "voice"
        """
    )
    assert list(config.providers) == ["a", "b"]
    assert isinstance(config.providers["b"], SandboxConfig)
    assert config.providers["b"].report_delay == 2.5
    assert [r.match for r in config.routes] == ["+86", "*"]
    assert config.routes[0].weights == (3, 1)
    assert config.routes[1].channel == "voice"
    assert not config.is_sandbox_only


def test_without_routes_every_provider_serves_every_number_in_file_order() -> None:
    config = parse('[[providers]]\nname = "x"\ntype = "sandbox"\n')
    [route] = config.routes
    assert route.match == "*" and route.providers == ("x",)


def test_a_secret_may_come_from_the_environment() -> None:
    text = '[[providers]]\nname = "x"\ntype = "sandbox"\nreport_delay = "${DELAY}"\n'
    assert parse(text, {"DELAY": "7"}).providers["x"].report_delay == 7.0
    with pytest.raises(InvalidDeliveryConfig, match=r"report_delay names \$\{DELAY\}"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[providers]]\nname = "x"\ntype = "pigeon"\n', "type must be one of .*sandbox"),
        ('[[providers]]\nname = "x"\ntype = "sandbox"\ncolour = 1\n', r"\(x\): colour: Extra"),
        ('[[providers]]\ntype = "sandbox"\n', "providers\\[0\\]: name: Field required"),
        (
            X + X,
            "a provider named 'x' exists",
        ),
        ('[[routes]]\nproviders = ["nobody"]\n', "routes\\[0\\]: no provider is named 'nobody'"),
        (
            X + '[[routes]]\nmatch = "86"\nproviders = ["x"]\n',
            "match must be",
        ),
        (
            X + '[[routes]]\nproviders = ["x"]\nweights = [1, 2]\n',
            "one number for each provider",
        ),
        ('[[providers]]\nname = "x"\ntype = "sandbox"\n[[routes]]\nproviders = []\n', "providers"),
        ("providers = 3\n", "must be \\[\\[providers\\]\\] tables"),
        ("[breaker]\nfailures = 0\n", "\\[breaker\\]: failures"),
    ],
)
def test_an_invalid_file_names_the_table_and_key(text: str, message: str) -> None:
    with pytest.raises(InvalidDeliveryConfig, match=message):
        parse(text)


def test_no_file_means_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_delivery_config(Settings(data_dir=tmp_path))
    assert config.is_sandbox_only and config.source is None


def test_smsgate_toml_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    (tmp_path / "smsgate.toml").write_text('[[providers]]\nname = "here"\ntype = "sandbox"\n')
    config = load_delivery_config(Settings(data_dir=tmp_path))
    assert list(config.providers) == ["here"]


def test_smsgate_config_names_the_file_for_settings_and_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('port = 8123\n[[providers]]\nname = "there"\ntype = "sandbox"\n')
    monkeypatch.setenv("SMSGATE_CONFIG", str(path))
    settings = Settings()
    assert settings.port == 8123  # the same file carries settings too
    assert list(load_delivery_config(settings).providers) == ["there"]


def test_unreadable_or_broken_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidDeliveryConfig, match="cannot read"):
        load_delivery_config(Settings(config=tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[[providers]\n")
    with pytest.raises(InvalidDeliveryConfig, match="not valid TOML"):
        load_delivery_config(Settings(config=broken))
