"""The destination rule: blocked prefixes, the server's high-risk ranges, allowed countries.

An app's allowed prefixes come before the high-risk list and the countries: they are how an app
says "yes, I really send to +8816 numbers". Its blocked prefixes come before everything.
"""

from smsgate.fraud.numbers import Destination, matches_any
from smsgate.fraud.policy import FraudPolicy

BLOCKED_PREFIX = "blocked prefix"
HIGH_RISK = "high-risk range"
COUNTRY = "destination country"


def destination_refusal(
    dest: Destination, policy: FraudPolicy, high_risk: tuple[str, ...]
) -> str | None:
    """The rule that refuses this destination, or None."""
    if matches_any(dest.e164, policy.blocked_prefixes):
        return BLOCKED_PREFIX
    if matches_any(dest.e164, policy.allowed_prefixes):
        return None
    if matches_any(dest.e164, high_risk):
        return HIGH_RISK
    if dest.region not in policy.allowed_countries:
        return COUNTRY
    return None
