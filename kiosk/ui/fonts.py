"""The CJK font every label uses: Noto Sans CJK or WenQuanYi Zen Hei from Debian."""

from __future__ import annotations

from pathlib import Path

from kiosk.errors import KioskError

# Debian packages: fonts-noto-cjk, fonts-wqy-zenhei (scripts/apt-packages-*.txt).
CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


class FontMissing(KioskError):
    """No CJK font is installed."""


def find_cjk_font(configured: Path | None = None) -> Path:
    """The font file to use: `configured` if given, else the first installed CJK font."""
    candidates = (configured,) if configured else CJK_FONTS
    for path in candidates:
        if path is not None and path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates if p is not None)
    raise FontMissing(
        f"no CJK font found (looked at {looked}); install fonts-wqy-zenhei or fonts-noto-cjk"
        " (scripts/bootstrap run does)"
    )
