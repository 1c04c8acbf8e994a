"""Which font a copy is set in.

PDF's built-in fonts only know Windows-1252, and clients write in every script (and with
emoji). A copy is set in DejaVu Sans, a TrueType font with broad coverage (Latin, Greek,
Cyrillic, Hebrew, Arabic, many symbols and emoji outlines), found in this order:

1. ``portal/pdf/fonts/`` (``DejaVuSans.ttf``, optionally ``DejaVuSans-Bold.ttf``), shipped
   with the code;
2. the operating system's DejaVu package (Debian and Ubuntu ``fonts-dejavu-core``, Fedora,
   Alpine, Arch paths).

No pip package we depend on ships a text font. Without DejaVu a copy falls back to
Helvetica (see ``portal.pdf.text`` for what happens to characters it cannot draw).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FONT_DIRS: tuple[Path, ...] = (
    Path(__file__).resolve().parent / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora, RHEL
    Path("/usr/share/fonts/dejavu"),  # Alpine (font-dejavu)
    Path("/usr/share/fonts/TTF"),  # Arch (ttf-dejavu)
)
REGULAR_FONT = "DejaVuSans.ttf"
BOLD_FONT = "DejaVuSans-Bold.ttf"
FAMILY = "PortalSans"
CORE_FAMILY = "helvetica"
CORE_ENCODING = "windows-1252"

# fontTools logs, at INFO, the names of the glyphs it keeps when subsetting the font: that
# is which characters a client typed, and must not reach the logs. fpdf2 warns about
# missing glyphs naming them (we replace those first, but keep its warnings out too).
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("fpdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path | None


def find_unicode_font(dirs: Sequence[Path] = FONT_DIRS) -> FontFiles | None:
    """The first DejaVu Sans found in ``dirs`` (with its bold face when present), or None."""
    for directory in dirs:
        regular = directory / REGULAR_FONT
        if regular.is_file():
            bold = directory / BOLD_FONT
            return FontFiles(regular, bold if bold.is_file() else None)
    return None
