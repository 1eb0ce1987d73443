"""The SMPP provider's configuration keys and their limits."""

from typing import Any

import pytest
from pydantic import ValidationError

from smsgate.delivery.providers.registry import provider_type
from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.statuses import rejection_status, status_name

MINIMAL = {"name": "carrier-a", "host": "127.0.0.1", "system_id": "smsgate", "source_addr": "1069"}


def test_the_issue_example_loads_with_defaults() -> None:
    config = provider_type("smpp").config.model_validate(
        MINIMAL | {"type": "smpp", "port": 2775, "password": "secret", "window": 10, "tps": 200}
    )
    assert isinstance(config, SmppConfig)
    assert (config.binds, config.window, config.tps) == (1, 10, 200)
    assert (config.dest_ton, config.dest_npi, config.concatenation) == (1, 1, "udh")
    assert config.registered_delivery is True


@pytest.mark.parametrize(
    "bad",
    [
        {"port": 0},
        {"port": 70000},
        {"window": 0},
        {"binds": 0},
        {"tps": 0},
        {"password": "ninechars"},  # SMPP 3.4: at most 8
        {"system_id": "x" * 16},
        {"source_addr": ""},
        {"source_ton": 7},
        {"concatenation": "both"},
        {"reconnect_min_seconds": 10, "reconnect_max_seconds": 5},
        {"channels": ["voice"]},
        {"enquire_every": 30},  # unknown keys are refused
    ],
)
def test_out_of_range_values_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SmppConfig.model_validate(MINIMAL | bad)


@pytest.mark.parametrize(
    ("command_status", "report_status"), [(0x0B, 4004), (0x50, 4004), (0x45, 4100), (0x66, 4100)]
)
def test_refusals_map_to_jsms_statuses(command_status: int, report_status: int) -> None:
    assert rejection_status(command_status) == report_status


def test_status_names() -> None:
    assert status_name(0x58) == "ESME_RTHROTTLED"
    assert status_name(0x400) == "0x00000400"
