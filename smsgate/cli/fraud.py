"""`smsgate fraud status|events`, and the pumping-defence and spend-cap options of
`smsgate app update` (README "Pumping defence", "Spend caps")."""

from typing import Annotated, Any

import typer

from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.fraud import service as fraud_service

fraud_cli = typer.Typer(no_args_is_help=True, help="Pumping defence and spend caps of apps.")

FraudMode = Annotated[
    str | None, typer.Option(help='off, shadow or enforce; "default" for the server\'s mode.')
]
AllowCountry = Annotated[
    str | None,
    typer.Option(
        help='CC[,CC...] the app may send to (the whole list); "default" for the server\'s.'
    ),
]
BlockPrefix = Annotated[
    str | None, typer.Option(help='+PREFIX[,...] refused for this app; "" for none.')
]
AllowPrefix = Annotated[
    str | None,
    typer.Option(
        help='+PREFIX[,...] allowed even if high-risk or outside the countries; "" for none.'
    ),
]
HourlyCap = Annotated[str | None, typer.Option(help='Units per clock hour; "none" for no cap.')]
DailyCap = Annotated[str | None, typer.Option(help='Units per local day; "none" for no cap.')]
CountryCap = Annotated[
    str | None,
    typer.Option(help='CC=HOURLY/DAILY[,...] units per country ("-" for no cap); "none" for none.'),
]


def fraud_options(**given: str | None) -> dict[str, str | None]:
    """The options given on the command line, as update_policy takes them."""
    names = {
        "fraud_mode": "mode",
        "allow_country": "allowed_countries",
        "block_prefix": "blocked_prefixes",
        "allow_prefix": "allowed_prefixes",
        "hourly_cap": "hourly_cap",
        "daily_cap": "daily_cap",
        "country_cap": "country_caps",
    }
    return {names[key]: value for key, value in given.items() if value is not None}


@fraud_cli.command("status")
def fraud_status(app_key: str, as_json: JsonFlag = False) -> None:
    """The app's policy, its spending in the current windows, and conversion per country."""

    async def work(ctx: Context) -> dict[str, Any]:
        return await fraud_service.fraud_status(ctx.db, ctx.settings, app_key)

    status = run_job(work)
    emit(status, as_json, "\n".join(f"{key}: {value}" for key, value in status.items()))


@fraud_cli.command("events")
def fraud_events(
    app_key: str,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """The app's latest decisions: refused sends, rules that fired in shadow mode, caps."""

    async def work(ctx: Context) -> list[dict[str, Any]]:
        return await fraud_service.recent_events(ctx.db, app_key, limit)

    events = run_job(work)
    lines = [
        f"{e['at']}  {e['decision']:8} {e['mode']:8} {e['rule']:20} {e['number_range']}"
        + (f"  {e['msg_id']}" if e["msg_id"] else "")
        for e in events
    ]
    emit(events, as_json, "\n".join(lines) or "no decisions")
