"""What a card terminal's intermediate status asks of the shopper, as a screen prompt key.

The ZVT terminal sends intermediate status codes (04 FF, PROTOCOLS.md) while it works:
"insert card", "please watch PIN-pad", "waiting for response from FEP"... The payment
screen shows its own translated sentence for each prompt key (kiosk/ui/i18n,
`paying.<key>`), so a Chinese shopper never reads the terminal's German or English
text. Codes outside the table fall back to "processing": the shopper waits either way.
"""

from __future__ import annotations

INSERT_CARD = "insert_card"
ENTER_PIN = "enter_pin"
PROCESSING = "processing"
REMOVE_CARD = "remove_card"
CARD_PROBLEM = "card_problem"

PROMPT_KEYS = (INSERT_CARD, ENTER_PIN, PROCESSING, REMOVE_CARD, CARD_PROBLEM)

_BY_CODE: dict[int, str] = {
    0x00: PROCESSING,  # waiting for amount confirmation
    0x01: ENTER_PIN,  # please watch PIN-pad
    0x02: ENTER_PIN,
    0x07: CARD_PROBLEM,  # card not admitted
    0x08: CARD_PROBLEM,  # card unknown
    0x09: CARD_PROBLEM,  # expired card
    0x0A: INSERT_CARD,
    0x0B: REMOVE_CARD,
    0x0C: CARD_PROBLEM,  # card not readable
    0x10: CARD_PROBLEM,  # invalid card
    0x15: ENTER_PIN,  # incorrect PIN: enter it again
    0x2A: INSERT_CARD,  # for loading please insert card
    0x68: PROCESSING,  # card insertion detected
}


def card_prompt(status_code: int) -> str:
    """The prompt key for a ZVT intermediate status code."""
    if status_code in _BY_CODE:
        return _BY_CODE[status_code]
    if 0x41 <= status_code <= 0x67:
        return REMOVE_CARD  # 0x40 added: "... please remove card"
    return PROCESSING
