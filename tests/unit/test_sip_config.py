"""A `type = "sip"` provider in the delivery configuration."""

import tomllib
from pathlib import Path

import pytest

from smsgate.db.engine import Database
from smsgate.delivery.config import InvalidDeliveryConfig, parse_delivery_config
from smsgate.delivery.providers.base import ProviderEnv
from smsgate.delivery.voice.espeak import SpeechUnavailable
from smsgate.delivery.voice.sip_provider import SipConfig, build_sip
from smsgate.settings import Settings

SOURCE = Path("delivery.toml")
TRUNK = """
[[providers]]
name = "trunk-a"
type = "sip"
host = "sip.carrier.example"
username = "1069000"
password = "${TRUNK_PASSWORD}"
{extra}

[[routes]]
match = "+86"
channel = "voice"
providers = ["trunk-a"]
"""


def parse(extra: str = "") -> SipConfig:
    document = tomllib.loads(TRUNK.replace("{extra}", extra))
    config = parse_delivery_config(document, SOURCE, {"TRUNK_PASSWORD": "s3cret"})
    provider = config.providers["trunk-a"]
    assert isinstance(provider, SipConfig)
    return provider


def test_defaults_and_the_trunk_they_make() -> None:
    config = parse()
    assert config.channels == ("voice",)
    assert (config.port, config.transport, config.codec) == (5060, "udp", "PCMU")
    trunk = config.trunk()
    assert trunk.domain == "sip.carrier.example"
    assert (trunk.username, trunk.password) == ("1069000", "s3cret")
    assert "s3cret" not in repr(config)  # the password stays out of logs and tracebacks
    assert parse("port = 5080").trunk().domain == "sip.carrier.example:5080"


@pytest.mark.parametrize(
    "extra", ['codec = "G729"', 'transport = "tls"', "port = 70000", "ring_timeout = 0", "x = 1"]
)
def test_bad_keys_stop_the_configuration(extra: str) -> None:
    with pytest.raises(InvalidDeliveryConfig, match="trunk-a"):
        parse(extra)


async def test_without_espeak_a_sip_provider_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, espeak_ng="/nonexistent/espeak-ng")
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        env = ProviderEnv(settings, db, events=None)  # type: ignore[arg-type]
        with pytest.raises(SpeechUnavailable, match="apt-get install espeak-ng"):
            build_sip(parse(), env)
    finally:
        await db.dispose()
