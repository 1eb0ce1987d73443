"""First start: an empty database gets a demo app with a signature, a verification template
and a notification template, so the API can be tried at once."""

from dataclasses import dataclass

from smsgate.apps.repository import app_count
from smsgate.apps.service import create_app
from smsgate.context import Context
from smsgate.signs.service import create_default_sign
from smsgate.templates.service import CODE, NOTIFICATION, create_template

DEMO_SIGN = "smsgate"
DEMO_TEMPLATE = "您的验证码是{{code}}，5分钟内有效，请勿泄露给他人。"
DEMO_NOTIFICATION = "{{name}}您好，您的订单已发货，请注意查收。"
DEMO_BALANCE = 1000


@dataclass(frozen=True)
class DemoApp:
    app_key: str
    master_secret: str
    temp_id: int
    notification_temp_id: int


async def create_demo_if_empty(ctx: Context) -> DemoApp | None:
    if await ctx.db.read(app_count):
        return None
    new = await create_app(ctx.db, "demo", quotas={"balance": DEMO_BALANCE})
    await create_default_sign(ctx.db, new.account.id, DEMO_SIGN)
    temp_id = await create_template(
        ctx.db, new.account.id, template_type=CODE, text=DEMO_TEMPLATE, ttl=300, approve=True
    )
    notification = await create_template(
        ctx.db, new.account.id, template_type=NOTIFICATION, text=DEMO_NOTIFICATION, approve=True
    )
    return DemoApp(new.account.app_key, new.master_secret, temp_id, notification)
