"""The Grafana dashboard uses exactly the exported metrics, and no label holds a mobile number or
any other unbounded value."""

import json
import re
from pathlib import Path

from httpx import AsyncClient
from prometheus_client import REGISTRY

from smsgate.observability import live  # noqa: F401 (registers the scrape-time families)
from smsgate.telemetry import metrics  # noqa: F401 (registers the families)
from tests.observability.helpers import smsgate_samples
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
SERIES = re.compile(r"\bsmsgate_[a-z_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_series() -> dict[str, str]:
    """Every series name smsgate exports, with the family it belongs to."""
    return {
        family.name + suffix: family.name
        for family in REGISTRY.collect()
        if family.name.startswith("smsgate_")
        for suffix in SUFFIXES[family.type]
    }


def dashboard_series() -> set[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    return {name for expr in exprs for name in SERIES.findall(expr)}


def test_every_series_of_the_dashboard_is_exported() -> None:
    used, exported = dashboard_series(), exported_series()
    assert used, "the dashboard queries nothing"
    assert used <= set(exported), sorted(used - set(exported))


def test_the_dashboard_shows_every_family() -> None:
    shown = {exported_series()[name] for name in dashboard_series()}
    families = set(exported_series().values())
    assert shown == families, sorted(families - shown)


BOUNDED = {
    "method": re.compile(r"GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS"),
    "status": re.compile(r"[1-5]\d\d"),
    "code": re.compile(r"0|5\d{4}"),
    "reason": re.compile(r"5\d{4}"),
    "route": re.compile(r"unmatched|/openapi\.json|(/[a-z0-9_-]*|/\{[a-z_]+\})+"),
    "app_key": re.compile(r"[a-z0-9]{24}"),
    "temp_id": re.compile(r"none|\d{1,9}"),
    "channel": re.compile(r"sms|voice"),
    "template_type": re.compile(r"code|voice_code|notification|marketing|template"),
    "category": re.compile(r"balance|voice|industry|market"),
    "outcome": re.compile(
        r"verified|wrong|expired|already_verified|missing|unknown|other"
        r"|accepted|refused|transport_failure|sent|failed|dead"
    ),
    "provider": re.compile(r"[a-z0-9_-]{1,64}"),  # names from the delivery configuration
    "status_code": re.compile(r"4\d{3}"),
    "type": re.compile(r"SMS_REPORT|SMS_REPLY|SMS_TEMPLATE|SMS_SIGN"),
    "state": re.compile(r"closed|open|half-open|down"),
    "loop": re.compile(r"delivery|callbacks|scheduler|gauges|voice_fallbacks|[a-z_]+_pruning"),
    "le": re.compile(r"[0-9.]+|\+Inf"),
}
MOBILE_LIKE = re.compile(r"\d{7,}")


async def test_labels_hold_only_bounded_values(
    api: AsyncClient, tenant: Tenant, worker: Delivery
) -> None:
    """After sends to several numbers, verifies and deliveries, every label of every smsgate
    series is of a bounded kind, and none carries a number that was sent to."""
    mobiles = ["13800138000", "13912345678", "17000004000", "17000004005"]
    for mobile in mobiles:
        body = {"mobile": mobile, "temp_id": tenant.code_temp}
        await api.post("/v1/codes", json=body, auth=tenant.auth)
        await api.post(f"/v1/codes/{mobile}/valid", json={"code": "123456"}, auth=tenant.auth)
        await api.get(f"/v1/templates/{mobile}", auth=tenant.auth)
        await api.get(f"/v1/{mobile}")
    await worker.run_until_idle()
    samples = list(smsgate_samples())
    assert samples
    for sample in samples:
        for name, label in sample.labels.items():
            kind = (
                "status_code"
                if name == "status" and sample.name.startswith("smsgate_receipts")
                else name
            )
            assert kind in BOUNDED, f"{sample.name}: unexpected label {name}"
            assert BOUNDED[kind].fullmatch(label), f"{sample.name}: {name}={label!r}"
            if name != "app_key":  # 24 random characters: may hold digit runs by chance
                assert not MOBILE_LIKE.search(label), f"{sample.name}: {name}={label!r}"
            assert not any(mobile in label for mobile in mobiles), (sample.name, name, label)
