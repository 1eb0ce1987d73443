"""Pumping defence and spend caps on every send, and their administration.

`screen_send` is the one hook on the send path (smsgate/messages/service.py): inside the send's
transaction, before the quota is charged, it decides by the app's mode (off, shadow, enforce):

  destination (blocked prefix, high-risk range, country), then for codes the range rules
  (prefix velocity, sequential numbers, conversion), then the spend caps (always enforced).

A refusal is returned, not raised, so what it records (the attempt, the decision, the cap's
alert) commits while nothing of the send is written. A pass records its attempt and charges
the caps only when the caller accepts it, after the frequency limit and before the quota.
`note_verified` is the hook on verification (smsgate/codes/service.py) that feeds the
conversion rule.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps import service as app_service
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.fraud import caps, repository
from smsgate.fraud.conversion import bucket_of, settled_window
from smsgate.fraud.destination import destination_refusal
from smsgate.fraud.high_risk import high_risk_ranges
from smsgate.fraud.numbers import Destination, destination
from smsgate.fraud.policy import PERIODS, FraudPolicy, describe, load_policy, policy_changes
from smsgate.fraud.range_rules import range_refusal, rules_of, scopes
from smsgate.fraud.windows import window_start
from smsgate.mobiles import mask_mobile
from smsgate.settings import Settings

log = structlog.get_logger(__name__)

CODE_KINDS = frozenset({"code", "voice_code"})
DESTINATION_REFUSED = Code.DESTINATION_REFUSED
CAP_REACHED = Code.SPEND_CAP_REACHED
PRUNE_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Send:
    """What the rules look at in one send."""

    kind: str  # code, voice_code, notification, marketing
    mobile: str  # E.164
    units: int
    verifiable: bool  # a code smsgate will be asked to verify


@dataclass(frozen=True, slots=True)
class Screening:
    """The outcome of `screen_send`: a refusal (already recorded), or a pass whose records are
    written by `accept` once the send's other checks passed too."""

    refusal: JsmsError | None
    accept: Callable[[Connection], None]


def screen_send(
    settings: Settings, conn: Connection, app_id: int, send: Send, msg_id: str, now: int
) -> Screening:
    """Decide on this send: a refusal (50230 naming the rule, 50231 naming the cap) is
    recorded at once; a pass writes nothing until accepted, so a later refusal (a frequency
    limit, the quota) leaves no trace of it."""
    policy = load_policy(repository.policy_row(conn, app_id), settings)
    dest = destination(send.mobile, settings.fraud_range_digits)
    rule: str | None = None
    ranges_checked = False
    if policy.mode != "off":
        rule = destination_refusal(dest, policy, high_risk_ranges(settings.fraud_high_risk_file))
        if rule is None and send.kind in CODE_KINDS:
            rule = range_refusal(settings, conn, app_id, dest, now)
            ranges_checked = True
    enforced = rule is not None and policy.mode == "enforce"
    windows = caps.cap_windows(policy, dest.region, now, settings.timezone)
    full = (
        None if enforced else caps.first_full(conn, app_id, windows, send.units, settings.timezone)
    )
    if enforced or full is not None:
        if ranges_checked:
            _record_attempt(settings, conn, app_id, dest, None, send.verifiable, now)
        if rule is not None:
            _record_decision(conn, app_id, dest, rule, policy.mode, enforced, None, now)
        if full is not None:
            _record_decision(conn, app_id, dest, full.rule, "enforce", True, None, now)
            return Screening(JsmsError(CAP_REACHED, full.rule), _nothing)
        assert rule is not None
        return Screening(JsmsError(DESTINATION_REFUSED, rule), _nothing)

    def accept(conn: Connection) -> None:
        if ranges_checked:
            _record_attempt(settings, conn, app_id, dest, msg_id, send.verifiable, now)
        if rule is not None:
            _record_decision(conn, app_id, dest, rule, policy.mode, False, msg_id, now)
        caps.charge(conn, app_id, windows, send.units)

    return Screening(None, accept)


def _nothing(_conn: Connection) -> None:
    """A refused send has nothing left to record."""


def _record_attempt(
    settings: Settings,
    conn: Connection,
    app_id: int,
    dest: Destination,
    msg_id: str | None,
    verifiable: bool,
    now: int,
) -> None:
    repository.insert_attempt(
        conn,
        {
            "app_id": app_id,
            "country_code": dest.country_code,
            "national": dest.national,
            "number_range": dest.number_range,
            "at": now,
            "msg_id": msg_id,
        },
    )
    if msg_id is not None and verifiable:
        bucket = bucket_of(now, settings.fraud_conversion_bucket_seconds)
        repository.count(conn, app_id, scopes(dest.country_code, dest.number_range), bucket, "sent")


def _record_decision(
    conn: Connection,
    app_id: int,
    dest: Destination,
    rule: str,
    mode: str,
    refused: bool,
    msg_id: str | None,
    now: int,
) -> None:
    decision = "refused" if refused else "allowed"
    repository.insert_event(
        conn,
        {
            "at": now,
            "app_id": app_id,
            "rule": rule,
            "number_range": dest.number_range,
            "mode": mode,
            "decision": decision,
            "msg_id": msg_id,
        },
    )
    log.info(
        "send refused" if refused else "send would be refused (shadow mode)",
        app_id=app_id,
        rule=rule,
        mobile=mask_mobile(dest.e164),
        msg_id=msg_id,
    )


def note_verified(settings: Settings, conn: Connection, msg_id: str) -> None:
    """Inside the verification's transaction: the code counts as verified for its country and
    range, in the minute it was sent."""
    attempt = repository.attempt_of(conn, msg_id)
    if attempt is None:  # sent while the defence was off, or older than every window
        return
    bucket = bucket_of(attempt.at, settings.fraud_conversion_bucket_seconds)
    scope_names = scopes(attempt.country_code, attempt.number_range)
    repository.count(conn, attempt.app_id, scope_names, bucket, "verified")


async def update_policy(
    db: Database, settings: Settings, app_key: str, **options: str | None
) -> dict[str, object]:
    """Change the options given (see policy_changes); the resulting policy, described."""
    app = await app_service.find_app(db, app_key)
    changes = policy_changes(**options)

    def change(conn: Connection) -> FraudPolicy:
        if changes:
            repository.save_policy(conn, app.id, changes)
        return load_policy(repository.policy_row(conn, app.id), settings)

    return describe(await db.write(change))


@dataclass(frozen=True, slots=True)
class PolicyChoices:
    """The app's policy, and which of its parts follow the server's settings (the others are
    the app's own)."""

    policy: FraudPolicy
    default_mode: bool
    default_countries: bool
    server: FraudPolicy  # what an app that chose nothing has
    spent: dict[tuple[str, str], int]  # units of the current windows: (all or region, period)


def policy_choices(conn: Connection, settings: Settings, app_id: int) -> PolicyChoices:
    """In the caller's transaction: what an operator edits on the app's page, and what the
    app has spent against its caps in the current hour and day."""
    row = repository.policy_row(conn, app_id)
    starts = {period: window_start(period, clock.now_ms(), settings.timezone) for period in PERIODS}
    spent = {
        (window.scope, window.period): window.units
        for window in repository.spend_windows(conn, app_id, min(starts.values()))
        if window.start == starts[window.period]
    }
    return PolicyChoices(
        load_policy(row, settings),
        row is None or row.mode is None,
        row is None or row.allowed_countries is None,
        load_policy(None, settings),
        spent,
    )


async def fraud_status(db: Database, settings: Settings, app_key: str) -> dict[str, Any]:
    """The app's policy, its spending in the current windows, and conversion per country."""
    app = await app_service.find_app(db, app_key)
    now = clock.now_ms()

    def read(conn: Connection) -> dict[str, Any]:
        policy = load_policy(repository.policy_row(conn, app.id), settings)
        windows = caps.cap_windows(policy, "", now, settings.timezone)
        spend = [
            {"scope": row.scope, "period": row.period, "start": row.start, "units": row.units}
            for row in repository.spend_windows(
                conn, app.id, min((w.start for w in windows), default=now)
            )
        ]
        window = settled_window(
            now,
            settings.fraud_conversion_seconds,
            settings.fraud_conversion_grace_seconds,
            settings.fraud_conversion_bucket_seconds,
        )
        conversion = repository.conversions(conn, app.id, window.first, window.last)
        return {**describe(policy), "spend": spend, "conversion": conversion}

    return await db.read(read)


async def recent_events(db: Database, app_key: str, limit: int) -> list[dict[str, Any]]:
    """The app's latest decisions, newest first."""
    app = await app_service.find_app(db, app_key)
    rows = await db.read(lambda conn: repository.events(conn, app.id, limit))
    return [event_record(row) for row in rows]


def events_of_message(conn: Connection, msg_id: str) -> list[dict[str, Any]]:
    """The decisions taken on one accepted message (shadow-mode rules that fired)."""
    return [event_record(row) for row in repository.events_of_message(conn, msg_id)]


def event_record(row: repository.Decision) -> dict[str, Any]:
    return {
        "at": row.at,
        "rule": row.rule,
        "number_range": row.number_range,
        "mode": row.mode,
        "decision": row.decision,
        "msg_id": row.msg_id,
    }


async def run_pruning(ctx: Context) -> None:
    """Background loop until the process stops: forget attempts and counts no window can see,
    and old decisions."""
    while not ctx.process.stopping.is_set():
        try:
            await ctx.db.write(lambda conn: prune_once(ctx.settings, conn, clock.now_ms()))
        except Exception as error:  # the next round tries again
            log.warning("pruning fraud counters failed", error=str(error))
        await ctx.process.pause(PRUNE_EVERY_SECONDS)


def prune_once(settings: Settings, conn: Connection, now: int) -> int:
    longest = max(
        settings.fraud_conversion_seconds,
        settings.fraud_sequence_seconds,
        *(rule.window_seconds for text in _rule_texts(settings) for rule in rules_of(text)),
    )
    return repository.prune(
        conn,
        counters_before=now - longest * 1000 - 3600_000,
        spend_before=now - 3 * 86400_000,
        events_before=now - settings.fraud_keep_seconds * 1000,
    )


def _rule_texts(settings: Settings) -> tuple[str, ...]:
    return (
        settings.fraud_range_limits,
        settings.fraud_throttled_range_limits,
        settings.fraud_throttled_country_limits,
    )
