"""Tenants for API tests: an app with a default signature and one approved template of each type."""

from dataclasses import dataclass

from smsgate.apps.service import create_app as create_account
from smsgate.context import Context
from smsgate.signs.service import create_default_sign
from smsgate.templates.service import CODE, MARKETING, NOTIFICATION, create_template

CODE_TEMPLATE = "您的验证码是{{code}}，5分钟内有效。"
NOTIFY_TEMPLATE = "尊敬的{{name}}，您的订单{{order}}已发货。"
MARKET_TEMPLATE = "双十一大促，全场五折。"


@dataclass(frozen=True)
class Tenant:
    app_id: int
    app_key: str
    secret: str
    code_temp: int
    notify_temp: int
    market_temp: int

    @property
    def auth(self) -> tuple[str, str]:
        return (self.app_key, self.secret)


async def make_tenant(
    ctx: Context,
    *,
    quotas: dict[str, int | None] | None = None,
    sms_enabled: bool = True,
    sign: str | None = "smsgate",
    code_ttl: int = 300,
) -> Tenant:
    new = await create_account(ctx.db, "test app", sms_enabled=sms_enabled, quotas=quotas)
    app_id = new.account.id
    if sign:
        await create_default_sign(ctx.db, app_id, sign)
    code = await create_template(
        ctx.db, app_id, template_type=CODE, text=CODE_TEMPLATE, ttl=code_ttl, approve=True
    )
    notify = await create_template(
        ctx.db, app_id, template_type=NOTIFICATION, text=NOTIFY_TEMPLATE, approve=True
    )
    market = await create_template(
        ctx.db, app_id, template_type=MARKETING, text=MARKET_TEMPLATE, approve=True
    )
    return Tenant(app_id, new.account.app_key, new.master_secret, code, notify, market)
