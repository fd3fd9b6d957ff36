"""ZVT code tables: result codes (BMP 27, 06 1E, 84 xx), intermediate status (04 FF).

From the ZVT ECR interface specification PA00P015 ("Error-Messages", "Intermediate
status"), as also listed by Portalum.Zvt (EnglishErrorMessageRepository,
EnglishIntermediateStatusRepository) and the Kotlin ZVT library (ZvtConstants).
Codes 01..63 come from the card issuer's or network operator's authorisation system;
the terminal passes them through, so only their range is known here.
"""

from __future__ import annotations

RESULT_APPROVED = 0x00
RESULT_ABORTED = 0x6C  # "abort via timeout or abort-key"
RESULT_FUNCTION_NOT_POSSIBLE = 0x83
RESULT_PROTOCOL_ERROR = 0x9A
RESULT_ALREADY_REVERSED = 0xB4
RESULT_REVERSAL_NOT_POSSIBLE = 0xB5
RESULT_WRONG_CURRENCY = 0x6F

RESULT_CODES: dict[int, str] = {
    0x00: "no error",
    0x64: "card not readable (LRC-/parity-error)",
    0x65: "card-data not present (neither track-data nor chip found)",
    0x66: "processing-error (also for problems with card-reader mechanism)",
    0x67: "function not permitted for ec- and Maestro-cards",
    0x68: "function not permitted for credit- and tank-cards",
    0x6A: "turnover-file full",
    0x6B: "function deactivated (PT not registered)",
    0x6C: "abort via timeout or abort-key",
    0x6E: "card in blocked-list",
    0x6F: "wrong currency",
    0x71: "credit not sufficient (chip-card)",
    0x72: "chip error",
    0x73: "card-data incorrect (e.g. country-key check, checksum-error)",
    0x74: "DUKPT engine exhausted",
    0x75: "text not authentic",
    0x76: "PAN not in white list",
    0x77: "end-of-day batch not possible",
    0x78: "card expired",
    0x79: "card not yet valid",
    0x7A: "card unknown",
    0x7B: "fallback to magnetic stripe for girocard not possible",
    0x7C: "fallback to magnetic stripe not possible",
    0x7D: "communication error (communication module does not answer or is not present)",
    0x7E: "fallback to magnetic stripe not possible, debit advice possible",
    0x83: "function not possible",
    0x85: "key missing",
    0x89: "PIN-pad defective",
    0x9A: "ZVT protocol error (e.g. parsing error, mandatory message element missing)",
    0x9B: "error from dial-up/communication fault",
    0x9C: "please wait",
    0xA0: "receiver not ready",
    0xA1: "remote station does not respond",
    0xA3: "no connection",
    0xA4: "submission of Geldkarte not possible",
    0xA5: "function not allowed due to PCI-DSS/P2PE rules",
    0xB1: "memory full",
    0xB2: "merchant-journal full",
    0xB4: "already reversed",
    0xB5: "reversal not possible",
    0xB7: "pre-authorisation incorrect (amount too high) or amount wrong",
    0xB8: "error pre-authorisation",
    0xBF: "voltage supply too low (external power supply)",
    0xC0: "card locking mechanism defective",
    0xC1: "merchant-card locked",
    0xC2: "diagnosis required",
    0xC3: "maximum amount exceeded",
    0xC4: "card-profile invalid; new card-profiles must be loaded",
    0xC5: "payment method not supported",
    0xC6: "currency not applicable",
    0xC8: "amount too small",
    0xC9: "max. transaction-amount too small",
    0xCB: "function only allowed in EURO",
    0xCC: "printer not ready",
    0xCD: "cashback not possible",
    0xD2: "function not permitted for service-cards/bank-customer-cards",
    0xDC: "card inserted",
    0xDD: "error during card-eject (for motor-insertion reader)",
    0xDE: "error during card-insertion (for motor-insertion reader)",
    0xE0: "remote-maintenance activated",
    0xE2: "card-reader does not answer / card-reader defective",
    0xE3: "shutter closed",
    0xE4: "terminal activation required",
    0xE7: "min. one goods-group not found",
    0xE8: "no goods-groups-table loaded",
    0xE9: "restriction-code not permitted",
    0xEA: "card-code not permitted (e.g. card not activated via diagnosis)",
    0xEB: "function not executable (PIN-algorithm unknown)",
    0xEC: "PIN-processing not possible",
    0xED: "PIN-pad defective",
    0xF0: "open end-of-day batch present",
    0xF1: "ec-cash/Maestro offline error",
    0xF5: "OPT-error",
    0xF6: "OPT-data not available (OPT personalisation required)",
    0xFA: "error transmitting offline-transactions (clearing error)",
    0xFB: "turnover data-set defective",
    0xFC: "necessary device not present or defective",
    0xFD: "baudrate not supported",
    0xFE: "register unknown",
    0xFF: "system error (other/unknown error)",
}


def result_text(code: int) -> str:
    """What a ZVT result code means, for a shopper-facing message or a technician."""
    if code in RESULT_CODES:
        return RESULT_CODES[code]
    if 0x01 <= code <= 0x63:
        return f"declined by the authorisation system (host code {code:02X})"
    return f"result code {code:02X} (not in the ZVT table)"


INTERMEDIATE_STATUS: dict[int, str] = {
    0x00: "PT is waiting for amount-confirmation",
    0x01: "please watch PIN-pad",
    0x02: "please watch PIN-pad",
    0x03: "not accepted",
    0x04: "PT is waiting for response from FEP",
    0x05: "PT is sending auto-reversal",
    0x06: "PT is sending post-bookings",
    0x07: "card not admitted",
    0x08: "card unknown / undefined",
    0x09: "expired card",
    0x0A: "insert card",
    0x0B: "please remove card",
    0x0C: "card not readable",
    0x0D: "processing error",
    0x0E: "please wait",
    0x0F: "PT is commencing an automatic end-of-day batch",
    0x10: "invalid card",
    0x11: "balance display",
    0x12: "system malfunction",
    0x13: "payment not possible",
    0x14: "credit not sufficient",
    0x15: "incorrect PIN",
    0x16: "limit not sufficient",
    0x17: "please wait",
    0x18: "PIN try limit exceeded",
    0x19: "card-data incorrect",
    0x1A: "service-mode",
    0x1B: "approved, please fill-up",
    0x1C: "approved, please take goods",
    0x1D: "declined",
    0x26: "PT is waiting for input of the mobile-number",
    0x27: "PT is waiting for repeat of mobile number",
    0x28: "currency selection, please wait",
    0x29: "language selection, please wait",
    0x2A: "for loading please insert card",
    0x2B: "emergency transaction, please wait",
    0x2C: "application selection, please wait",
    0x68: "PT has detected customer card insertion",
    0x69: "please select DCC",
    0xC7: "PT is waiting for input of the mileage",
    0xC8: "PT is waiting for cashier",
    0xC9: "PT is commencing an automatic diagnosis",
    0xCA: "PT is commencing an automatic initialisation",
    0xCB: "merchant-journal full",
    0xCC: "debit advice not possible, PIN required",
    0xD2: "connecting dial-up",
    0xD3: "dial-up connection made",
    0xE0: "PT is waiting for application-selection",
    0xE1: "PT is waiting for language-selection",
    0xE2: "PT requests to use the cleaning card",
    0xF1: "offline",
    0xF2: "online",
    0xF3: "offline transaction",
}

STATUS_INSERT_CARD = 0x0A
STATUS_WATCH_PIN_PAD = 0x01
STATUS_WAITING_FOR_HOST = 0x04
STATUS_PLEASE_WAIT = 0x0E
STATUS_CARD_DETECTED = 0x68
STATUS_REMOVE_CARD = 0x0B
STATUS_SEE_TEXT = 0xFF  # no code matches: the text is in TLV tags 24 / 07


def intermediate_text(code: int) -> str:
    """The standard text of an intermediate status; 0x40 added means "...please remove card"."""
    if code in INTERMEDIATE_STATUS:
        return INTERMEDIATE_STATUS[code]
    if 0x41 <= code <= 0x67 and (code - 0x40) in INTERMEDIATE_STATUS:
        return f"{INTERMEDIATE_STATUS[code - 0x40]}; please remove card"
    return f"intermediate status {code:02X}"


# BMP 8A: ZVT card-type ids. Only ids confirmed by Wireshark's packet-zvt.c are named;
# the terminal's BMP 8B card name is the better label when it sends one.
CARD_TYPES: dict[int, str] = {2: "ec-card", 5: "girocard", 6: "Mastercard", 10: "VISA"}

TERMINAL_READY = 0x00
TERMINAL_STATUS: dict[int, str] = {0x00: "PT ready"}


def terminal_status_text(code: int) -> str:
    return TERMINAL_STATUS.get(code, f"not ready (terminal status code {code:02X})")
