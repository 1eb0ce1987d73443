"""The delivery page's SMPP binds: as this process holds them (state, window, counters), or
"not in this process" when delivery runs elsewhere."""

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsgate.context import Context
from smsgate.delivery.config import load_delivery_config
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.provider import SmppProvider
from tests.console.signing_in import add_operator, sign_in
from tests.delivery.smpp_peer import SmscSimulator


@pytest.fixture
async def operator(ctx: Context, api: httpx.AsyncClient) -> str:
    await add_operator(ctx)
    assert (await sign_in(api, "ops")).status_code == 303
    return "ops"


@pytest.fixture
def simulator() -> Iterator[SmscSimulator]:
    sim = SmscSimulator()
    sim.start()
    yield sim
    sim.kill()


@pytest.fixture
def smpp_file(tmp_path: Path, simulator: SmscSimulator) -> Path:
    path = tmp_path / "delivery.toml"
    path.write_text(
        '[[providers]]\nname = "carrier-a"\ntype = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {simulator.port}\nsystem_id = "smsgate"\npassword = "secret"\n'
        'source_addr = "1069"\nbinds = 2\nwindow = 7\n'
    )
    return path


@pytest.fixture
def settings_overrides(smpp_file: Path) -> dict[str, object]:
    return {"config": smpp_file}


class _NoEvents:
    async def reports(self, provider: str, reports: object) -> None:
        pass

    async def inbound(self, provider: str, messages: object) -> None:
        pass


async def test_smpp_binds_are_shown_as_this_process_holds_them(
    api: httpx.AsyncClient, ctx: Context, operator: str, simulator: SmscSimulator
) -> None:
    away = await api.get("/console/delivery")  # this process does not deliver
    assert 'data-provider="carrier-a"' in away.text and "not in this process" in away.text

    [config] = load_delivery_config(ctx.settings).providers.values()
    assert isinstance(config, SmppConfig)
    provider = SmppProvider(config, _NoEvents())  # type: ignore[arg-type]
    running = asyncio.create_task(provider.run())
    ctx.process.provider = provider
    try:
        await simulator.until(lambda: len(simulator.of_kind("bound")) == 2)
        message = OutboundMessage("m-1", "sms", "+8613800138000", "hello")
        assert len(await provider.submit_many([message])) == 1
        page = await api.get("/console/delivery")
    finally:
        ctx.process.provider = None
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    binds = dict(re.findall(r'data-bind="(carrier-a#\d)">(.*?)</tr>', page.text, flags=re.DOTALL))
    assert sorted(binds) == ["carrier-a#1", "carrier-a#2"]
    assert "not in this process" not in page.text
    for cells in binds.values():
        assert 'class="state state-up"' in cells and "0 / 7" in cells
    answered = [re.findall(r'<td class="num">(\d+)</td>', cells)[0] for cells in binds.values()]
    assert sorted(answered) == ["0", "1"]  # one submit_sm, answered on one of the binds
