"""Making any text drawable in a copy's font, and knowing when something was replaced.

A character the font cannot draw (a CJK answer in DejaVu, an emoji in Helvetica) becomes a
visible replacement mark, and the copy then says so (``CopyPDF.finish``), so a reader never
mistakes a gap for what the client wrote. In Helvetica, accents are kept where
Windows-1252 has them and otherwise reduced to the base letter (``ő`` -> ``o``) before
anything is replaced. Combining marks, joiners and emoji skin-tone modifiers the font cannot
draw are dropped (they are part of the character before them). A copy never fails because
of what a client typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

from portal.pdf.fonts import CORE_ENCODING

_ASCII_FALLBACK = "?"
_UNICODE_FALLBACK = "\ufffd"  # the replacement character
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})  # combining marks, joiners, variation selectors
_SKIN_TONES = range(0x1F3FB, 0x1F400)  # emoji modifiers: part of the emoji before them
# Letters that Unicode does not decompose into a base letter and a mark.
_BASE_LETTERS = str.maketrans({
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h",
    "\u0131": "i", "\u0166": "T", "\u0167": "t", "\u013f": "L", "\u0140": "l",
})  # L and l with stroke, D and d with stroke, H and h with stroke, dotless i, ...


class TextCleaner:
    """Makes text drawable in the chosen font and remembers whether anything was replaced.

    ``drawable`` is the code points a TrueType font draws (its character map), or None for
    Helvetica (whatever Windows-1252 encodes)."""

    def __init__(self, drawable: Collection[int] | None) -> None:
        self.replaced = False
        if drawable is not None:
            self.drawable: set[int] | None = set(drawable)
            self.mark = (_UNICODE_FALLBACK if ord(_UNICODE_FALLBACK) in self.drawable
                         else _ASCII_FALLBACK)
        else:
            self.drawable = None
            self.mark = _ASCII_FALLBACK

    def _can_draw(self, char: str) -> bool:
        if self.drawable is not None:
            return ord(char) in self.drawable
        try:
            char.encode(CORE_ENCODING)
        except UnicodeEncodeError:
            return False
        return True

    def _substitute(self, char: str) -> str:
        if unicodedata.category(char) in _INVISIBLE or ord(char) in _SKIN_TONES:
            return ""
        if self.drawable is None:  # Helvetica: try the base letter (ő -> o) first
            base = "".join(part for part in unicodedata.normalize("NFKD",
                                                                  char.translate(_BASE_LETTERS))
                           if unicodedata.category(part) not in _INVISIBLE
                           and self._can_draw(part))
            if base:
                return base
        self.replaced = True
        return self.mark

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\t", "    ").replace("\r", "")
        return "".join(
            char if char == "\n" or self._can_draw(char) else self._substitute(char)
            for char in text
        )
