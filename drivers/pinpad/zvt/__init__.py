"""ZVT card terminals (PROTOCOLS.md "Card pinpad: ZVT"): codec, driver and simulator.

The payment orchestration uses `ZvtTerminal` and the outcome types; the codec
(`codec`, `messages`, `framing`) is separate and fully tested on its own.
"""

from drivers.pinpad.zvt.errors import (
    ZvtBusy,
    ZvtCodecError,
    ZvtError,
    ZvtLinkError,
    ZvtRefused,
    ZvtTimeout,
    ZvtUnavailable,
)
from drivers.pinpad.zvt.outcome import (
    Aborted,
    Approved,
    Declined,
    EndOfDay,
    EndOfDayOutcome,
    IntermediateUpdate,
    Receipt,
    Registration,
    TerminalStatus,
    TransactionOutcome,
    Unknown,
    ZvtHealth,
)
from drivers.pinpad.zvt.terminal import ZvtTerminal, ZvtTimeouts

__all__ = [
    "Aborted",
    "Approved",
    "Declined",
    "EndOfDay",
    "EndOfDayOutcome",
    "IntermediateUpdate",
    "Receipt",
    "Registration",
    "TerminalStatus",
    "TransactionOutcome",
    "Unknown",
    "ZvtBusy",
    "ZvtCodecError",
    "ZvtError",
    "ZvtHealth",
    "ZvtLinkError",
    "ZvtRefused",
    "ZvtTerminal",
    "ZvtTimeout",
    "ZvtTimeouts",
    "ZvtUnavailable",
]
