"""The JSMS delivery report statuses (docs/api.md, "Delivery statuses"), by name.

Providers map their carriers' outcomes onto these; messages keep them as `report_status`.
"""

from smsgate.wire_numbers import WireNumber


class ReportStatus(WireNumber):
    DELIVERED = 4001
    BLACKLISTED = 4002  # the number is on a carrier's black list
    HANDSET_PROBLEM = 4003  # off, out of coverage, suspended
    NO_SUCH_NUMBER = 4004
    CARRIER_BALANCE_EXHAUSTED = 4005
    CARRIER_FREQUENCY_LIMIT = 4006
    NOT_ANSWERED = 4007  # voice: ring timeout or declined
    BUSY = 4008  # voice
    UNREACHABLE = 4009  # voice: unreachable or failed
    SENSITIVE_WORDS = 4010  # blocked by the carrier
    OTHER_ERROR = 4100
