"""Signatures: the 【...】 prefix every SMS carries, and the API that manages them.

A signature is created or changed by its app (it then waits in review, one per app at a time),
approved or rejected by an operator (smsgate/signs/review.py), and used by sends once approved.
"""

import re
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select

from smsgate import clock
from smsgate.context import Context
from smsgate.control_characters import refuse_control_characters
from smsgate.db.engine import Database
from smsgate.db.models import Sign, table
from smsgate.db.selects import FastSelect
from smsgate.errors import JsmsError
from smsgate.lenient import whole_number
from smsgate.signs import repository
from smsgate.signs.images import StoredImage, check_images, remove_images, store_images

IN_REVIEW, APPROVED, REJECTED = 0, 1, 2
SIGN_TYPES = range(1, 8)  # company, website, app, WeChat, shop, trademark, other
MAX_SIGN_REMARK = 100
SIGNS = table(Sign)
_APPROVED = select(SIGNS.c.sign).where(
    SIGNS.c.app_id == bindparam("app_id"), SIGNS.c.status == APPROVED
)
_NAMED = FastSelect(_APPROVED.where(SIGNS.c.id == bindparam("sign_id")))
_DEFAULT = FastSelect(_APPROVED.where(SIGNS.c.is_default.is_(True)).limit(1))
# 2-8 Chinese characters, ASCII letters or digits; no spaces or brackets.
_SIGN_TEXT = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]{2,8}")


@dataclass(frozen=True, slots=True)
class SignDraft:
    """What an app submits: the text, its type (1-7 or None), a remark, the proof images."""

    sign: str | None
    sign_type: str | None
    remark: str | None
    images: list[bytes]


@dataclass(frozen=True, slots=True)
class _CheckedDraft:
    sign: str
    sign_type: int | None
    remark: str


def check_sign_text(text: str) -> str:
    text = text.strip()
    if not _SIGN_TEXT.fullmatch(text):
        raise JsmsError(50104)
    return text


def _check_draft(draft: SignDraft) -> _CheckedDraft:
    """50104 for a missing or malformed text, 50007 for a type outside 1-7 (jsms-api.md §7 A7),
    50045 for a remark over 100 characters."""
    sign = check_sign_text(draft.sign or "")
    sign_type = None
    if draft.sign_type:
        sign_type = whole_number(draft.sign_type)
        if sign_type not in SIGN_TYPES:
            raise JsmsError(50007, "sign type must be 1-7")
    remark = refuse_control_characters((draft.remark or "").strip(), 50007)
    if len(remark) > MAX_SIGN_REMARK:
        raise JsmsError(50045)
    return _CheckedDraft(sign, sign_type, remark)


async def create_default_sign(db: Database, app_id: int, text: str) -> int:
    """An approved signature that sends use when they name none (operator-created)."""
    values = {
        "app_id": app_id,
        "sign": check_sign_text(text),
        "status": APPROVED,
        "is_default": True,
        "remark": "",
        "created_at": clock.now_ms(),
    }
    statement = insert(SIGNS).values(**values).returning(SIGNS.c.id)
    return await db.write(lambda conn: int(conn.execute(statement).scalar_one()))


def signature_for_send(conn: Connection, app_id: int, sign_id: int | None) -> str:
    """The signature text: the named one (50102 unless approved and this app's), else the
    app's default (50046 when it has none)."""
    if sign_id is not None:
        named = _NAMED.first(conn, {"app_id": app_id, "sign_id": sign_id})
        if named is None:
            raise JsmsError(50102)
        return str(named[0])
    default = _DEFAULT.first(conn, {"app_id": app_id})
    if default is None:
        raise JsmsError(50046)
    return str(default[0])


def longest_signature(conn: Connection, app_id: int) -> str | None:
    """The longest of the app's signatures that are approved or in review (what a template
    must leave room for), None when it has none: templates need one first (50046)."""
    return repository.longest_sign(conn, app_id, (APPROVED, IN_REVIEW))


def _image_rows(stored: list[StoredImage], now: int) -> list[dict[str, object]]:
    return [
        {
            "position": position,
            "file_name": image.file_name,
            "media_type": image.media_type,
            "size": image.size,
            "created_at": now,
        }
        for position, image in enumerate(stored)
    ]


async def submit_sign(ctx: Context, app_id: int, draft: SignDraft) -> int:
    """A new signature in review; 50103 while another one of the app is in review."""
    checked = _check_draft(draft)
    images = check_images(draft.images, ctx.settings.sign_image_max_bytes)
    data_dir = ctx.settings.data_dir
    stored = store_images(data_dir, images)
    now = clock.now_ms()

    def create(conn: Connection) -> int:
        repository.lock_app(conn, app_id)
        if repository.other_in_review(conn, app_id, IN_REVIEW, None):
            raise JsmsError(50103)
        sign_id = repository.insert_sign(
            conn,
            {
                "app_id": app_id,
                "sign": checked.sign,
                "type": checked.sign_type,
                "remark": checked.remark,
                "status": IN_REVIEW,
                "is_default": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        repository.replace_images(conn, sign_id, _image_rows(stored, now))
        return sign_id

    try:
        return await ctx.db.write(create)
    except Exception:
        # Refused or rolled back: nothing names the files. (A cancelled wait may come after the
        # commit, so it keeps them: an unnamed file is harmless, a row naming none is not.)
        remove_images(data_dir, (image.file_name for image in stored))
        raise


async def change_sign(ctx: Context, app_id: int, sign_id: int, draft: SignDraft) -> int:
    """Resubmit a rejected (or still pending) signature: it goes back to review with the new
    text; new images replace the old ones, no images keep them. 50102 for an unknown or another
    app's signature, and for an approved one (sends may rely on it: create a new one instead);
    50103 while another one of the app is in review."""
    checked = _check_draft(draft)
    images = check_images(draft.images, ctx.settings.sign_image_max_bytes)
    data_dir = ctx.settings.data_dir
    stored = store_images(data_dir, images)
    now = clock.now_ms()

    def change(conn: Connection) -> list[str]:
        repository.lock_app(conn, app_id)
        sign = repository.find_app_sign(conn, app_id, sign_id)
        if sign is None or sign.status == APPROVED:
            raise JsmsError(50102)
        if repository.other_in_review(conn, app_id, IN_REVIEW, sign_id):
            raise JsmsError(50103)
        values: dict[str, object] = {
            "sign": checked.sign,
            "type": checked.sign_type,
            "remark": checked.remark,
            "status": IN_REVIEW,
            "refuse_reason": None,
            "updated_at": now,
        }
        repository.update_sign(conn, sign_id, values)
        if not stored:
            return []
        replaced = repository.image_names(conn, sign_id)
        repository.replace_images(conn, sign_id, _image_rows(stored, now))
        return replaced

    try:
        replaced = await ctx.db.write(change)
    except Exception:
        remove_images(data_dir, (image.file_name for image in stored))
        raise
    remove_images(data_dir, replaced)
    return sign_id


@dataclass(frozen=True, slots=True)
class SignView:
    sign_id: int
    sign: str
    status: int
    is_default: bool
    in_use: bool  # sends may use it: approved


async def show_sign(db: Database, app_id: int, sign_id: int) -> SignView:
    """One of the app's signatures; 50102 for an unknown or another app's."""
    sign = await db.read(lambda conn: repository.find_app_sign(conn, app_id, sign_id))
    if sign is None:
        raise JsmsError(50102)
    is_default = bool(sign.is_default)
    return SignView(sign.id, sign.sign, sign.status, is_default, sign.status == APPROVED)


async def delete_sign(ctx: Context, app_id: int, sign_id: int) -> None:
    """Delete a signature and its images; 50105 for the app's default, 50102 unknown."""

    def remove(conn: Connection) -> list[str]:
        sign = repository.find_app_sign(conn, app_id, sign_id)
        if sign is None:
            raise JsmsError(50102)
        if sign.is_default:
            raise JsmsError(50105)
        names = repository.image_names(conn, sign_id)
        repository.delete_sign(conn, sign_id)
        return names

    remove_images(ctx.settings.data_dir, await ctx.db.write(remove))
