"""The wire shapes of the signature answers (jsms-api.md §2.16-2.18)."""

from typing import TypedDict


class SignCreated(TypedDict):
    sign_id: int


class SignShown(TypedDict):
    sign_id: int
    sign: str
    status: int  # 0 in review, 1 approved, 2 rejected
    is_default: int  # 1 for the app's default signature
    use_status: int  # 1 when sends may use it (approved)
