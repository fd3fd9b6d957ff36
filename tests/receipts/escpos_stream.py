"""Reads back the ESC/POS job `render_escpos` writes: printed lines with their style,
and the QR codes. Knows only the commands the renderer may send; anything else fails
the test, so a stray command cannot hide in the text."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.printer.cjk import FS_DOUBLE_BYTE_OFF, FS_DOUBLE_BYTE_ON, Codec, decode_text

ESC, GS, FS = 0x1B, 0x1D, 0x1C


@dataclass(frozen=True)
class PrintedLine:
    text: str
    align: int  # ESC a n: 0 left, 1 centre
    bold: bool
    size: int  # GS ! n


@dataclass
class Job:
    lines: list[PrintedLine] = field(default_factory=list)
    qr_payloads: list[bytes] = field(default_factory=list)
    commands: list[bytes] = field(default_factory=list)


def read_job(data: bytes, codec: Codec) -> Job:
    job = Job()
    align, bold, size = 0, False, 0
    text = bytearray()
    i = 0
    while i < len(data):
        pair = data[i : i + 2]
        if data[i] not in (ESC, GS, FS) or pair in (FS_DOUBLE_BYTE_ON, FS_DOUBLE_BYTE_OFF):
            length = 2 if data[i] == FS else 1
            text += data[i : i + length]
            if data[i] == 0x0A:
                # decode_text only accepts text; every line is encoded on its own.
                for line in decode_text(bytes(text), codec).split("\n")[:-1]:
                    job.lines.append(PrintedLine(line, align, bold, size))
                text.clear()
            i += length
            continue
        assert not text, f"command at offset {i} inside a line: {bytes(text)!r}"
        if pair == b"\x1b@":
            cmd = pair
        elif pair in (b"\x1ba", b"\x1bE", b"\x1d!", b"\x1bd"):
            cmd = data[i : i + 3]
            if pair == b"\x1ba":
                align = cmd[2]
            elif pair == b"\x1bE":
                bold = bool(cmd[2])
            else:
                size = cmd[2]
        elif pair == b"\x1dV":
            cmd = data[i : i + 4] if data[i + 2] in (65, 66) else data[i : i + 3]
        elif data[i : i + 3] == b"\x1d(k":
            n = data[i + 3] + 256 * data[i + 4]
            cmd = data[i : i + 5 + n]
            cn, fn = cmd[5], cmd[6]
            assert cn == 0x31, f"GS ( k for symbol type 0x{cn:02X}, not QR"
            if fn == 0x50:  # fn 80: store data; m = '0'
                assert cmd[7] == 0x30
                job.qr_payloads.append(cmd[8:])
        else:
            raise AssertionError(f"unexpected command {data[i : i + 4]!r} at offset {i}")
        job.commands.append(cmd)
        i += len(cmd)
    assert not text, f"job ends inside a line: {bytes(text)!r}"
    return job
