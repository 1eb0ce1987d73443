"""Delivery: each configured provider's state and counters over the workers that run it, and
the SMPP binds this process holds."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console.binds import smpp_binds
from smsgate.console.web import context_of, render, signed_in
from smsgate.context import Context
from smsgate.delivery.config import load_delivery_config
from smsgate.delivery.health import ProviderState, provider_states

router = APIRouter()


async def configured_states(ctx: Context) -> list[ProviderState]:
    config = load_delivery_config(ctx.settings)
    return await provider_states(ctx.db, list(config.providers) or ["sandbox"])


@router.get("/delivery")
async def delivery_page(request: Request) -> Response:
    session = await signed_in(request)
    ctx = context_of(request)
    config = load_delivery_config(ctx.settings)
    states = await configured_states(ctx)
    smpp = [name for name, provider in config.providers.items() if provider.type == "smpp"]
    return render(
        request,
        "delivery.html",
        session,
        states=states,
        routes=config.routes,
        binds=smpp_binds(ctx.process.provider, smpp),
    )
