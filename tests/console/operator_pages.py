"""A signed-in operator's client for an app's page: its form token, its posts, the audit list."""

from dataclasses import dataclass

import httpx

from smsgate.context import Context
from tests.console.signing_in import add_operator, csrf_of, sign_in


@dataclass
class Operator:
    client: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, **fields: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **fields})

    async def audit(self) -> str:
        return (await self.client.get("/console/audit")).text


async def signed_in_operator(ctx: Context, client: httpx.AsyncClient) -> Operator:
    await add_operator(ctx)
    assert (await sign_in(client, "ops")).status_code == 303
    page = await client.get("/console/apps")
    return Operator(client, csrf_of(page.text))
