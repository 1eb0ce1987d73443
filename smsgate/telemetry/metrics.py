"""Every Prometheus metric smsgate exports, and the calls the services make to move them.

Labels hold only bounded values: route templates, JSMS codes, channels, template types, app keys
and template ids (bounded by the apps and templates an operator configured), provider names from
the delivery configuration, report statuses. Never a mobile number, a msg_id or a raw path.
Counters move after the transaction that made the event has committed, so a rolled-back send
is not counted. Everything here is a dictionary lookup and an addition: cheap on the hot path.
"""

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from smsgate.errors import Code, JsmsError
from smsgate.provider_answers import Accepted, Rejected, SubmitResult

P = ParamSpec("P")
R = TypeVar("R")

# No `_created` series beside every counter and histogram: half the scrape, and nothing reads it.
disable_created_metrics()  # type: ignore[no-untyped-call]
NAMESPACE = "smsgate"
NO_TEMPLATE = "none"  # voice codes have no template
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RECEIPT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)

API_REQUESTS = Counter(
    "api_requests",
    "HTTP requests answered, by route template, method, HTTP status and JSMS code (0: success).",
    ["route", "method", "status", "code"],
    namespace=NAMESPACE,
)
API_LATENCY = Histogram(
    "api_request_duration_seconds",
    "Time from the request's arrival to the end of its answer.",
    ["route", "method"],
    namespace=NAMESPACE,
    buckets=LATENCY_BUCKETS,
)
SENDS_ACCEPTED = Counter(
    "sends_accepted",
    "Messages accepted (committed with their outbox row).",
    ["app_key", "temp_id", "channel", "template_type"],
    namespace=NAMESPACE,
)
SENDS_REFUSED = Counter(
    "sends_refused",
    "Sends refused, by JSMS error code; template_type 'template' when the request named a "
    "template whose type was not yet known.",
    ["reason", "channel", "template_type"],
    namespace=NAMESPACE,
)
UNITS_CHARGED = Counter(
    "units_charged",
    "Quota units taken from apps, by the category that paid.",
    ["app_key", "category"],
    namespace=NAMESPACE,
)
VERIFIES = Counter(
    "verifies",
    "Code checks by outcome (verified, wrong, expired, already_verified, unknown, missing).",
    ["app_key", "temp_id", "outcome"],
    namespace=NAMESPACE,
)
OUTBOX_DEPTH = Gauge(
    "outbox_depth", "Messages waiting in the outbox (read every few seconds).", namespace=NAMESPACE
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds",
    "Age of the oldest message in the outbox; 0 when it is empty.",
    namespace=NAMESPACE,
)
PROVIDER_SUBMITS = Counter(
    "provider_submits",
    "Messages handed to a provider, by outcome: accepted, refused, transport_failure.",
    ["provider", "outcome"],
    namespace=NAMESPACE,
)
RECEIPTS = Counter(
    "receipts",
    "Final delivery reports (receipts) from providers, by JSMS report status.",
    ["provider", "status"],
    namespace=NAMESPACE,
)
SUBMIT_TO_RECEIPT = Histogram(
    "submit_to_receipt_seconds",
    "Time from a provider's acceptance of a message to its final receipt.",
    ["provider"],
    namespace=NAMESPACE,
    buckets=RECEIPT_BUCKETS,
)
CALLBACKS = Counter(
    "callbacks",
    "Callback posts to apps by outcome: sent (2xx), failed (to be retried), dead.",
    ["type", "outcome"],
    namespace=NAMESPACE,
)
SCHEDULES_DUE = Gauge(
    "schedules_due", "Pending schedules whose send time has come.", namespace=NAMESPACE
)
SCHEDULES_LATE = Gauge(
    "schedules_late",
    "Pending schedules more than SMSGATE_SCHEDULE_LATE_SECONDS past their send time.",
    namespace=NAMESPACE,
)


# Children by label values: `labels()` validates and locks on every call, a dict lookup does not.
_REQUEST_COUNTERS: dict[tuple[str, str, int, int], Counter] = {}
_REQUEST_TIMERS: dict[tuple[str, str], Histogram] = {}


def request_answered(route: str, method: str, status: int, code: int, seconds: float) -> None:
    key = (route, method, status, code)
    counter = _REQUEST_COUNTERS.get(key)
    if counter is None:
        counter = _REQUEST_COUNTERS[key] = API_REQUESTS.labels(
            route, method, str(status), str(code)
        )
    counter.inc()
    timer = _REQUEST_TIMERS.get((route, method))
    if timer is None:
        timer = _REQUEST_TIMERS[(route, method)] = API_LATENCY.labels(route, method)
    timer.observe(seconds)


def send_accepted(
    app_key: str,
    temp_id: int | None,
    channel: str,
    template_type: str,
    units: int,
    category: str | None,
) -> None:
    """One committed message; `category` is the quota that paid (None: unmetered)."""
    SENDS_ACCEPTED.labels(app_key, _template(temp_id), channel, template_type).inc()
    if category is not None and units:
        UNITS_CHARGED.labels(app_key, category).inc(units)


def send_refused(code: int, channel: str, template_type: str, count: int = 1) -> None:
    SENDS_REFUSED.labels(str(code), channel, template_type).inc(count)


def counting_refusals(
    channel: str, template_type: str
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorates a send: every JsmsError it raises is counted as a refused send."""

    def decorate(send: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(send)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await send(*args, **kwargs)
            except JsmsError as error:
                send_refused(error.code, channel, template_type)
                raise

        return counted

    return decorate


VERIFY_OUTCOMES: dict[int | None, str] = {
    None: "verified",
    Code.INVALID_CODE: "wrong",
    Code.EXPIRED_CODE: "expired",
    Code.VERIFIED_CODE: "already_verified",
    Code.MISSING_CODE: "missing",
    Code.WRONG_MSG_ID: "unknown",
}


def code_checked(app_key: str, temp_id: int | None, error_code: int | None) -> None:
    """One check of a code: None when it passed, else the JSMS code it was refused with."""
    outcome = VERIFY_OUTCOMES.get(error_code, "other")
    VERIFIES.labels(app_key, _template(temp_id), outcome).inc()


def outbox_seen(depth: int, oldest_age_seconds: float) -> None:
    OUTBOX_DEPTH.set(depth)
    OUTBOX_OLDEST_AGE.set(oldest_age_seconds)


def schedules_seen(due: int, late: int) -> None:
    SCHEDULES_DUE.set(due)
    SCHEDULES_LATE.set(late)


def provider_answered(provider: str, results: Iterable[SubmitResult]) -> None:
    """The results of one submit to one provider (not the router's combined view)."""
    counts = {"accepted": 0, "refused": 0, "transport_failure": 0}
    for result in results:
        if isinstance(result, Accepted):
            counts["accepted"] += 1
        elif isinstance(result, Rejected):
            counts["refused"] += 1
        else:
            counts["transport_failure"] += 1
    for outcome, count in counts.items():
        if count:
            PROVIDER_SUBMITS.labels(provider, outcome).inc(count)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A message made final by its provider's report, as the transaction that applied it saw."""

    provider: str | None
    report_status: int
    submitted_at: int | None  # epoch ms
    reported_at: int


def receipts_recorded(receipts: Iterable[Receipt]) -> None:
    """Call after the transaction that applied them committed."""
    for receipt in receipts:
        provider = receipt.provider or "unknown"
        RECEIPTS.labels(provider, str(receipt.report_status)).inc()
        if receipt.submitted_at is not None:
            seconds = max(receipt.reported_at - receipt.submitted_at, 0) / 1000
            SUBMIT_TO_RECEIPT.labels(provider).observe(seconds)


def callback_posted(event: str, outcome: str) -> None:
    CALLBACKS.labels(event, outcome).inc()


def _template(temp_id: int | None) -> str:
    return NO_TEMPLATE if temp_id is None else str(temp_id)
