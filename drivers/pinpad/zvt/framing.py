"""ZVT transport framing: serial (DLE STX ... DLE ETX CRC, ACK/NAK) and TCP (raw APDUs).

Serial (PROTOCOLS.md "Card pinpad: ZVT"; ZVT transport protocol PA00P016): a frame is
`DLE STX`, the APDU with every DLE (0x10) doubled, `DLE ETX`, then CRC-16 low byte first.
The CRC is CRC-16/KERMIT (polynomial 0x1021 reflected, 0x8408; initial value 0; no final
XOR) over the unstuffed APDU followed by the ETX byte; the CRC bytes themselves are not
stuffed (ecrterm's SerialMessage and Wireshark's dissector read them raw). The receiver
answers a single `ACK` (0x06) or `NAK` (0x15) byte.

TCP/IP: APDUs back to back on the stream; the length field delimits them.

`SerialDeframer` and `ApduSplitter` are incremental and total: any byte sequence gives
events or waits for more, and never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.pinpad.zvt.codec import MAX_APDU_DATA, apdu_size

DLE = 0x10
STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

MAX_FRAME_APDU = MAX_APDU_DATA + 5


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc16_kermit(data: bytes) -> int:
    """CRC-16/KERMIT; "123456789" gives 0x2189.

    By hand because the standard library only has the unreflected XMODEM variant
    (binascii.crc_hqx); ten lines beat a dependency.
    """
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def frame_crc(apdu: bytes) -> bytes:
    crc = crc16_kermit(apdu + bytes((ETX,)))
    return bytes((crc & 0xFF, crc >> 8))


def encode_frame(apdu: bytes) -> bytes:
    """One serial frame around an APDU: DLE STX, stuffed APDU, DLE ETX, CRC low, CRC high."""
    stuffed = apdu.replace(bytes((DLE,)), bytes((DLE, DLE)))
    return bytes((DLE, STX)) + stuffed + bytes((DLE, ETX)) + frame_crc(apdu)


@dataclass(frozen=True, slots=True)
class Frame:
    """A frame with a good CRC: the receiver answers ACK and takes the APDU."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that started but is not valid: the receiver answers NAK."""

    reason: str


@dataclass(frozen=True, slots=True)
class LinkAck:
    """A lone ACK byte: the peer took our last frame."""


@dataclass(frozen=True, slots=True)
class LinkNak:
    """A lone NAK byte: the peer wants our last frame again."""


SerialEvent = Frame | BadFrame | LinkAck | LinkNak

_IDLE, _IDLE_DLE, _DATA, _DATA_DLE, _CRC1, _CRC2 = range(6)


class SerialDeframer:
    """Turns serial bytes into frames and link control events, whatever the input."""

    def __init__(self, max_apdu: int = MAX_FRAME_APDU) -> None:
        self._max = max_apdu
        self._state = _IDLE
        self._apdu = bytearray()
        self._crc_low = 0
        self.noise_bytes = 0  # bytes outside any frame that were not ACK or NAK

    @property
    def in_frame(self) -> bool:
        """True while a frame has started and not ended (for the inter-character timeout)."""
        return self._state not in (_IDLE, _IDLE_DLE)

    def reset(self) -> BadFrame | None:
        """Drop a partial frame (timeout, reconnect); returns it as a bad frame if there was one."""
        partial = self.in_frame
        self._state = _IDLE
        self._apdu.clear()
        if not partial:
            return None
        return BadFrame("frame incomplete: no byte within the character timeout")

    def feed(self, data: bytes) -> list[SerialEvent]:
        events: list[SerialEvent] = []
        for byte in data:
            event = self._step(byte)
            if event is not None:
                events.append(event)
        return events

    def _step(self, byte: int) -> SerialEvent | None:
        state = self._state
        if state == _IDLE:
            if byte == DLE:
                self._state = _IDLE_DLE
            elif byte == ACK:
                return LinkAck()
            elif byte == NAK:
                return LinkNak()
            else:
                self.noise_bytes += 1
            return None
        if state == _IDLE_DLE:
            if byte == STX:
                self._state = _DATA
                self._apdu.clear()
                return None
            self.noise_bytes += 1  # the DLE before this byte started nothing
            if byte == DLE:
                return None
            self._state = _IDLE
            return self._step(byte)  # an ACK or NAK after line noise still counts
        if state == _DATA:
            if byte == DLE:
                self._state = _DATA_DLE
                return None
            return self._append(byte)
        if state == _DATA_DLE:
            if byte == DLE:
                self._state = _DATA
                return self._append(DLE)
            if byte == ETX:
                self._state = _CRC1
                return None
            if byte == STX:  # a new frame started inside this one: this one is lost
                self._apdu.clear()
                self._state = _DATA
                return BadFrame("frame restarted (DLE STX) before DLE ETX")
            self._state = _IDLE
            self._apdu.clear()
            return BadFrame(f"DLE followed by {byte:02X} inside a frame")
        if state == _CRC1:
            self._crc_low = byte
            self._state = _CRC2
            return None
        # _CRC2
        self._state = _IDLE
        apdu = bytes(self._apdu)
        self._apdu.clear()
        received = self._crc_low | byte << 8
        expected = crc16_kermit(apdu + bytes((ETX,)))
        if received != expected:
            return BadFrame(f"CRC {received:04X} does not match {expected:04X}")
        if not apdu:
            return BadFrame("empty frame")
        return Frame(apdu)

    def _append(self, byte: int) -> SerialEvent | None:
        if len(self._apdu) >= self._max:
            self._state = _IDLE
            self._apdu.clear()
            return BadFrame(f"frame longer than {self._max} bytes")
        self._apdu.append(byte)
        return None


class ApduSplitter:
    """Cuts a TCP byte stream into APDUs by their length field."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            size = apdu_size(self._buf)
            if size is None or len(self._buf) < size:
                return out
            out.append(bytes(self._buf[:size]))
            del self._buf[:size]
