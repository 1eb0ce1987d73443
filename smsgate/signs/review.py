"""Operator review of signatures: list what waits, approve, reject; each verdict is told to the
app by an SMS_SIGN callback queued in the same transaction.

Signatures are never approved automatically: they stand for a company, site or trademark, and only
a person can judge the proof documents.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from smsgate import clock
from smsgate.callbacks.service import enqueue_callback
from smsgate.db.engine import Database
from smsgate.db.models import ReviewState
from smsgate.signs import repository
from smsgate.signs.images import image_dir


class UnknownSign(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class SignForReview:
    sign_id: int
    app_key: str
    sign: str
    type: int | None
    remark: str
    status: int
    is_default: bool
    refuse_reason: str | None
    images: list[str]  # absolute paths of the proof images, in upload order


async def review_sign(
    db: Database, sign_id: int, *, approve: bool, reason: str = "", make_default: bool = False
) -> None:
    """Approve (the app's first approved signature becomes its default, or any one with
    `make_default`) or reject with a reason; either way the app gets an SMS_SIGN callback."""

    def review(conn: Connection) -> None:
        sign = repository.find_sign(conn, sign_id)
        if sign is None:
            raise UnknownSign(sign_id)
        status = ReviewState.APPROVED if approve else ReviewState.REJECTED
        refusal = None if approve else reason
        values: dict[str, object] = {
            "status": status,
            "refuse_reason": refusal,
            "updated_at": clock.now_ms(),
        }
        if not approve and sign.is_default:
            # A rejected default would leave the app unable to send; the flag waits for the
            # next approval instead.
            values["is_default"] = False
        repository.update_sign(conn, sign_id, values)
        if approve and (make_default or not repository.has_default(conn, sign.app_id)):
            repository.make_default(conn, sign.app_id, sign_id)
        data = {"signId": sign_id, "status": status, "refuseReason": refusal}
        enqueue_callback(conn, sign.app_id, "SMS_SIGN", data)

    await db.write(review)


async def signs_for_review(
    db: Database, data_dir: Path, *, status: int | None = None, app_id: int | None = None
) -> list[SignForReview]:
    def read(conn: Connection) -> list[SignForReview]:
        signs = repository.list_signs(conn, status, app_id)
        images = repository.images_of(conn, [sign.id for sign in signs])
        directory = image_dir(data_dir).resolve()
        return [
            SignForReview(
                sign_id=sign.id,
                app_key=sign.app_key,
                sign=sign.sign,
                type=sign.type,
                remark=sign.remark,
                status=sign.status,
                is_default=bool(sign.is_default),
                refuse_reason=sign.refuse_reason,
                images=[str(directory / name) for name in images.get(sign.id, [])],
            )
            for sign in signs
        ]

    return await db.read(read)
