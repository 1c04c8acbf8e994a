"""PDF copies (of a submitted intake, of a signed consent): the one home for their page
layout, their fonts and making any text drawable.

Why it is the only way. What a client typed can be in any script, with emoji, right to
left, or with characters no font draws; a copy must never fail on it, never drop it
silently and never let the font library log it. Those rules are kept once, here, and every
copy is built on ``new_copy_pdf``: A4 with the portal's margins and metadata, a footer
naming the practice, the reference and the page, DejaVu Sans (or Helvetica), a
``TextCleaner`` that makes every string drawable and remembers whether it replaced
anything, and paragraphs drawn by ``TextStyle``. Features say *what* a copy says; this
package decides how it is drawn. It is the only code that imports ``fpdf`` (a test reads
the source tree), so a change of PDF library, or of a rule above, is made in one place.

Fonts, text safety and right-to-left text: see ``portal.pdf.fonts``, ``portal.pdf.text``
and ``portal.pdf.layout``.
"""

from __future__ import annotations

from portal.pdf.fonts import FontFiles, find_unicode_font
from portal.pdf.layout import CopyPDF, TextStyle, new_copy_pdf
from portal.pdf.text import TextCleaner

__all__ = ["CopyPDF", "FontFiles", "TextCleaner", "TextStyle", "find_unicode_font",
           "new_copy_pdf"]
