"""How a call ended, as a JSMS report status (jsms-api.md §4.3).

| call outcome                                          | status |
|-------------------------------------------------------|--------|
| answered, the message played (or the callee hung up)  | 4001   |
| no answer: ring timeout (CANCEL), 408, 480, 487, 603  | 4007   |
| busy: 486, 600                                        | 4008   |
| unreachable or failed: 404, 484, 5xx, other 4xx / 6xx | 4009   |
"""

from smsgate.report_status import ReportStatus

DELIVERED = ReportStatus.DELIVERED
NOT_ANSWERED = ReportStatus.NOT_ANSWERED
BUSY = ReportStatus.BUSY
UNREACHABLE = ReportStatus.UNREACHABLE

_BY_SIP_STATUS = {
    408: NOT_ANSWERED,  # Request Timeout: nobody picked up
    480: NOT_ANSWERED,  # Temporarily Unavailable
    487: NOT_ANSWERED,  # Request Terminated: our CANCEL after the ring timeout
    603: NOT_ANSWERED,  # Decline: rejected by the callee
    486: BUSY,  # Busy Here
    600: BUSY,  # Busy Everywhere
}


def status_for_final_response(sip_status: int) -> int:
    """The JSMS status of a call that ended with this non-2xx final response to its INVITE."""
    return _BY_SIP_STATUS.get(sip_status, UNREACHABLE)
