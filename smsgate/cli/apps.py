"""`smsgate app`: credentials, quotas and limits of apps."""

from typing import Annotated

import typer

from smsgate.apps import service as app_service
from smsgate.apps.policy import merge_policy
from smsgate.callbacks.service import rotate_master_secret
from smsgate.cli.callbacks import (
    CallbackUrl,
    MasterSecret,
    ReplyNumbers,
    apply_reply_options,
    check_app_options,
    check_reply_options,
    verify_callback_url,
)
from smsgate.cli.failures import Refused, describe
from smsgate.cli.fraud import (
    AllowCountry,
    AllowPrefix,
    BlockPrefix,
    CountryCap,
    DailyCap,
    FraudMode,
    HourlyCap,
    fraud_options,
)
from smsgate.cli.options import MAX_NAME, text_up_to, units
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.devs import service as dev_service
from smsgate.fraud import service as fraud_service
from smsgate.fraud.policy import policy_changes
from smsgate.reports.service import check_reply_numbers_free
from smsgate.signs.service import check_sign_text, create_default_sign

app_cli = typer.Typer(no_args_is_help=True, help="Apps: credentials and quotas.")
_LIMIT_HELP = 'COUNT/SECONDS[,COUNT/SECONDS...] for this app; "" for no limit'
CodeLimits = Annotated[str | None, typer.Option(help=f"Text codes per number: {_LIMIT_HELP}.")]
VoiceLimits = Annotated[str | None, typer.Option(help=f"Voice codes per number: {_LIMIT_HELP}.")]
NotifyLimits = Annotated[
    str | None, typer.Option(help=f"Identical notifications per number: {_LIMIT_HELP}.")
]
MarketLimits = Annotated[str | None, typer.Option(help=f"Marketing per number: {_LIMIT_HELP}.")]
Balance = Annotated[int | None, units("All-purpose units")]
Voice = Annotated[int | None, units("Voice-code units")]
Industry = Annotated[int | None, units("Code and notification units")]
Market = Annotated[int | None, units("Marketing units")]


def _limit_changes(
    code: str | None, voice_code: str | None, notification: str | None, marketing: str | None
) -> dict[str, str | None]:
    """The limit options given on the command line; "default" drops the app's own rule."""
    given = {
        "code_limits": code,
        "voice_code_limits": voice_code,
        "notification_limits": notification,
        "marketing_limits": marketing,
    }
    chosen = {key: text for key, text in given.items() if text is not None}
    return {key: None if text == "default" else text for key, text in chosen.items()}


@app_cli.command("create")
def app_create(
    name: Annotated[str, text_up_to(MAX_NAME, "A name for people.")],
    sign: Annotated[str | None, typer.Option(help="Default signature, approved.")] = None,
    balance: Balance = None,
    voice: Voice = None,
    industry: Industry = None,
    market: Market = None,
    no_sms: Annotated[bool, typer.Option("--no-sms", help="Without SMS permission.")] = False,
    code_limits: CodeLimits = None,
    voice_code_limits: VoiceLimits = None,
    notification_limits: NotifyLimits = None,
    marketing_limits: MarketLimits = None,
    dev: Annotated[str | None, typer.Option(help="The devKey of the owning developer.")] = None,
    callback_url: CallbackUrl = None,
    reply_numbers: ReplyNumbers = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an app; a quota category not given is unmetered, a limit not given is the
    server's default."""
    quotas = {"balance": balance, "voice": voice, "industry": industry, "market": market}
    limits = _limit_changes(code_limits, voice_code_limits, notification_limits, marketing_limits)

    async def work(ctx: Context) -> app_service.NewApp:
        # Everything that can be refused is checked first: a refused command creates no app.
        dev_id = (await dev_service.find_dev(ctx.db, dev)).id if dev else None
        signature = check_sign_text(sign) if sign is not None else None
        if reply_numbers:
            await check_reply_numbers_free(ctx.db, reply_numbers)
        await verify_callback_url(ctx, callback_url)
        new = await app_service.create_app(
            ctx.db, name, sms_enabled=not no_sms, quotas=quotas, limits=limits, dev_id=dev_id
        )
        key, secret = new.account.app_key, new.master_secret
        try:
            if signature is not None:
                await create_default_sign(ctx.db, new.account.id, signature)
            await apply_reply_options(
                ctx, key, callback_url, secret, reply_numbers, check_echostr=False
            )
        except Exception as error:  # lost a race: say so, and keep the credentials
            _show_credentials(new, as_json)
            raise Refused(f"app {key} was created, but: {describe(error)[0]}") from error
        return new

    _show_credentials(run_job(work), as_json)


def _show_credentials(new: app_service.NewApp, as_json: bool) -> None:
    data = {"app_key": new.account.app_key, "master_secret": new.master_secret}
    emit(data, as_json, f"appKey: {data['app_key']}\nmasterSecret: {data['master_secret']}")


@app_cli.command("rotate-secret")
def app_rotate_secret(app_key: str, as_json: JsonFlag = False) -> None:
    """Give an app a new master secret, printed once; the old one is refused from now on (a
    running server's cache of verified credentials keeps it for `auth_cache_seconds` at most).
    Callbacks are signed with the new one."""

    async def work(ctx: Context) -> app_service.NewApp:
        return await rotate_master_secret(ctx, app_key)

    _show_credentials(run_job(work), as_json)


@app_cli.command("update")
def app_update(
    app_key: str,
    name: Annotated[str | None, text_up_to(MAX_NAME, "A new name.")] = None,
    sms: Annotated[bool | None, typer.Option("--sms/--no-sms", help="SMS permission.")] = None,
    code_limits: CodeLimits = None,
    voice_code_limits: VoiceLimits = None,
    notification_limits: NotifyLimits = None,
    marketing_limits: MarketLimits = None,
    allow_ip: Annotated[
        str | None, typer.Option(help='CIDR[,CIDR...] the app may call from; "" for anywhere.')
    ] = None,
    callback_url: CallbackUrl = None,
    master_secret: MasterSecret = None,
    reply_numbers: ReplyNumbers = None,
    fraud_mode: FraudMode = None,
    allow_country: AllowCountry = None,
    block_prefix: BlockPrefix = None,
    allow_prefix: AllowPrefix = None,
    hourly_cap: HourlyCap = None,
    daily_cap: DailyCap = None,
    country_cap: CountryCap = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an app; a limit set to "default" follows the server's setting again."""
    limits = _limit_changes(code_limits, voice_code_limits, notification_limits, marketing_limits)
    fraud = fraud_options(
        fraud_mode=fraud_mode,
        allow_country=allow_country,
        block_prefix=block_prefix,
        allow_prefix=allow_prefix,
        hourly_cap=hourly_cap,
        daily_cap=daily_cap,
        country_cap=country_cap,
    )
    # Malformed values are refused before anything changes.
    merge_policy(None, limits)
    check_reply_options(callback_url, master_secret)
    check_app_options(allow_ip, reply_numbers)
    policy_changes(**fraud)
    reply_changes: dict[str, object] = {}

    async def work(ctx: Context) -> app_service.AppAccount:
        # First what can still be refused (a taken reply number, a callback URL that fails
        # its check, a wrong master secret), then what cannot.
        reply_changes.update(
            await apply_reply_options(ctx, app_key, callback_url, master_secret, reply_numbers)
        )
        if allow_ip is not None:
            await app_service.set_access(ctx.db, app_key, allowed_ips=allow_ip)
        if fraud:
            reply_changes.update(
                await fraud_service.update_policy(ctx.db, ctx.settings, app_key, **fraud)
            )
        return await app_service.update_app(
            ctx.db, app_key, name=name, sms_enabled=sms, limits=limits
        )

    app = run_job(work)
    data = {
        "app_key": app.app_key,
        "name": app.name,
        "sms_enabled": app.sms_enabled,
        "limits": {kind: ",".join(map(str, rules)) for kind, rules in app.policy.overrides.items()},
        "allow_ip": ",".join(map(str, app.allowed_networks)),
        **reply_changes,
    }
    emit(data, as_json, "  ".join(f"{key}: {value}" for key, value in data.items()))


@app_cli.command("topup")
def app_topup(
    app_key: str,
    balance: Balance = None,
    voice: Voice = None,
    industry: Industry = None,
    market: Market = None,
    as_json: JsonFlag = False,
) -> None:
    """Add units to an app's quotas (an unmetered category becomes metered at the amount);
    with no amount, show them."""
    amounts = {"balance": balance, "voice": voice, "industry": industry, "market": market}
    given = {category: amount for category, amount in amounts.items() if amount}  # 0 adds none

    async def work(ctx: Context) -> dict[str, int | None]:
        return await app_service.top_up(ctx.db, app_key, given)

    quotas = run_job(work)
    emit(
        quotas, as_json, "  ".join(f"{k}: {v if v is not None else '-'}" for k, v in quotas.items())
    )
