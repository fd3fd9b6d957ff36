"""A tiny pcap writer: ZVT APDUs as TCP/IPv4 segments, for checking with tshark.

Each APDU becomes one Ethernet/IPv4/TCP frame between the ECR (192.0.2.1:40000) and the
terminal (192.0.2.2:20007, the ZVT port), with consistent sequence and acknowledgement
numbers and a SYN handshake first, so Wireshark's TCP reassembly sees one clean stream.
"""

from __future__ import annotations

import struct
from pathlib import Path

ECR = (bytes((192, 0, 2, 1)), 40000)
TERMINAL = (bytes((192, 0, 2, 2)), 20007)
_MAC_ECR = bytes.fromhex("020000000001")
_MAC_PT = bytes.fromhex("020000000002")
_SYN, _ACK, _PSH = 0x02, 0x10, 0x08


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(outbound: bool, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    (src_ip, src_port), (dst_ip, dst_port) = (ECR, TERMINAL) if outbound else (TERMINAL, ECR)
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + payload)) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    macs = _MAC_PT + _MAC_ECR if outbound else _MAC_ECR + _MAC_PT
    return macs + b"\x08\x00" + ip + tcp + payload


def write_pcap(path: Path, apdus: list[tuple[str, bytes]]) -> None:
    """`apdus`: ("out" = ECR to terminal | "in" = terminal to ECR, APDU bytes), in order."""
    seq = {True: 1000, False: 5000}
    frames = [
        _frame(True, seq[True] - 1, 0, _SYN, b""),
        _frame(False, seq[False] - 1, seq[True], _SYN | _ACK, b""),
        _frame(True, seq[True], seq[False], _ACK, b""),
    ]
    for direction, apdu in apdus:
        outbound = direction == "out"
        frames.append(_frame(outbound, seq[outbound], seq[not outbound], _PSH | _ACK, apdu))
        seq[outbound] += len(apdu)
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        for i, frame in enumerate(frames):
            out.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)))
            out.write(frame)
