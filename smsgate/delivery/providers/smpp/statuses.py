"""submit_sm_resp command_status values (SMPP 3.4 §5.1.3) and what each means for a message."""

from smsgate.report_status import ReportStatus

ESME_RMSGQFUL, ESME_RTHROTTLED = 0x14, 0x58

NAMES = {
    0x00: "ESME_ROK",
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x05: "ESME_RALYBND",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x15: "ESME_RINVSERTYP",
    0x33: "ESME_RINVNUMDESTS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x53: "ESME_RINVSYSTYP",
    0x58: "ESME_RTHROTTLED",
    0x61: "ESME_RINVSCHED",
    0x62: "ESME_RINVEXPIRY",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xFF: "ESME_RUNKNOWNERR",
}

# The SMSC is busy: wait and submit again (this bind or another) without failing the message.
RETRY_HERE = frozenset({ESME_RMSGQFUL, ESME_RTHROTTLED})
# The SMSC (not the message) has a problem: back to the outbox, maybe to another provider.
TRANSIENT = frozenset({0x04, 0x08, 0x64, 0xFF})
# Refusals of the message itself, by the JSMS report status they end in (jsms-api.md §4.3).
NUMBER_DOES_NOT_EXIST = ReportStatus.NO_SUCH_NUMBER
OTHER_ERROR = ReportStatus.OTHER_ERROR
_REJECTION_STATUS = {
    0x0B: NUMBER_DOES_NOT_EXIST,  # ESME_RINVDSTADR
    0x50: NUMBER_DOES_NOT_EXIST,  # ESME_RINVDSTTON
    0x51: NUMBER_DOES_NOT_EXIST,  # ESME_RINVDSTNPI
}


def status_name(command_status: int) -> str:
    return NAMES.get(command_status, f"0x{command_status:08X}")


def rejection_status(command_status: int) -> int:
    """The JSMS report status of a message the SMSC refused with this command_status."""
    return _REJECTION_STATUS.get(command_status, OTHER_ERROR)
