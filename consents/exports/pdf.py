"""A PDF copy of one consent signature: the document exactly as signed, and the evidence.

The copy shows the practice, the document's title, version and effective date, its summary
and full text, then a boxed record of the signature: who typed their name (and a
representative with their authority, if one signed), the statement agreed to word for word,
the time (practice-local, with UTC), the SHA-256 of the version's canonical text (see
``consents.services.canonical_text``) and the verification reference; and, if the consent
was withdrawn, when. Not the reason the client gave for withdrawing: those are their own
words, not evidence of what was signed, and this copy travels with every staff download
(the client sees their reason on their pages; practice admins on the client's timeline).
A note under the record says how to check the SHA-256: the signer downloads the exact text
from their "What you signed" page and runs ``sha256sum`` on it (a PDF cannot usefully link
to a page behind the sign-in).

The full text is Markdown written by the practice. It is turned into plain structured text
here (headings in bold, bullets as "•", emphasis markers and link syntax removed); no HTML is
produced or interpreted, so raw HTML in a document would appear as the characters typed.

The page, fonts, text safety (any script, emoji, right-to-left names) and the footer come
from the platform (``portal.pdf``), so this copy and the intake's draw text the same way.
Building the copy decrypts the typed name: the views that serve it audit every download.

Languages: the copy is written in the signer's language (``portal.i18n.languages.language_of``:
its fixed words, dates and times), and shows the document's title, summary and text exactly
as signed, in the version's own language, which it names ("Language: Español").

A consent several people sign (``SignerSet``: a child's guardians) adds a list of every
signature it needs, each with its own evidence as far as the signers share it: the role,
the name that signer typed, when and the reference, or "not signed yet"; and whether the
consent counts (complete, waiting, withdrawn). Decision: another signer's IP address and
user agent never appear in this copy (nor in anyone's): the signers signed the same text,
not each other's devices; what they both put on the joint document is their typed name
and time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from consents.models import (
    ConsentSignature,
    DocumentKind,
    ReleaseAuthorization,
    SignerRole,
    SignerSet,
)
from portal.formatting import format_day, format_when, format_zone
from portal.i18n.languages import language_of
from portal.models import PracticeSettings
from portal.pdf import CopyPDF, FontFiles, TextStyle, find_unicode_font, new_copy_pdf

BULLET = "\u2022"
# English message ids, translated when the copy is written (``gettext`` under the signer's
# language).
REPLACED_NOTE = gettext_noop(
    "Some characters cannot be shown in this PDF and appear as {mark}. What was signed is "
    "stored exactly as written."
)
HASH_NOTE = gettext_noop(
    "The SHA-256 is a fingerprint of this version's exact wording. To check it, download "
    "the signed text from this consent's \"What you signed\" page in the portal (under My "
    "consents) and run sha256sum on the file; the result must match. The practice can also "
    "confirm a copy with the verification reference."
)


@dataclass(frozen=True)
class Line:
    """One paragraph of the copy: how it looks (``kind``) and its text."""

    kind: str  # title, subtitle, meta, notice, summary, heading, paragraph, bullet, quote,
    #            label, box_title, box, box_label, box_mono, withdrawn, note
    text: str
    level: int = 0  # nesting of bullets


# --- Markdown to structured plain text ----------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_PLACEHOLDER = "\x00{}\x00"


def inline_text(text: str) -> str:
    """Markdown inline syntax as plain text: emphasis markers dropped, ``[text](url)`` as
    "text (url)", code without backticks, backslash escapes resolved. HTML is left as the
    characters typed."""
    escaped: list[str] = []

    def hold(match: re.Match[str]) -> str:
        escaped.append(match.group(1))
        return _PLACEHOLDER.format(len(escaped) - 1)

    text = _ESCAPED.sub(hold, text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = _IMAGE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) or not m.group(2)
                     else f"{m.group(1)} ({m.group(2)})", text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _STRONG.sub(lambda m: m.group(2), text)
    text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return re.sub("\x00(\\d+)\x00", lambda m: escaped[int(m.group(1))], text)


def _paragraphs(lines: Sequence[str]) -> Iterator[str]:
    """Consecutive non-blank lines joined with spaces (a hard break, two trailing spaces or
    a backslash, keeps its line break)."""
    current: list[str] = []
    for line in lines:
        if not line.strip():
            if current:
                yield "".join(current).strip()
                current = []
            continue
        hard = line.endswith("  ") or line.rstrip().endswith("\\")
        piece = line.strip().removesuffix("\\").strip()
        current.append(piece + ("\n" if hard else " "))
    if current:
        yield "".join(current).strip()


def markdown_lines(markdown: str) -> list[Line]:
    """The practice's Markdown as structured plain text, block by block: ATX headings,
    bullet and numbered lists (nested by indentation), block quotes, code blocks and
    paragraphs. Anything else is a paragraph of the characters written."""
    out: list[Line] = []
    pending: list[str] = []
    quote: list[str] = []
    item: tuple[str, int, list[str]] | None = None  # (marker, level, lines)
    fenced: list[str] | None = None

    def flush() -> None:
        nonlocal item
        if pending:
            out.extend(Line("paragraph", inline_text(p)) for p in _paragraphs(pending))
            pending.clear()
        if quote:
            out.extend(Line("quote", inline_text(p)) for p in _paragraphs(quote))
            quote.clear()
        if item is not None:
            marker, level, parts = item
            text = " ".join(" ".join(parts).split())
            out.append(Line("bullet", f"{marker} {inline_text(text)}", level))
            item = None

    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.replace("\t", "    ")
        if fenced is not None:
            if _FENCE.match(line):
                out.extend(Line("paragraph", code) for code in ["\n".join(fenced)] if code)
                fenced = None
            else:
                fenced.append(line)
            continue
        if _FENCE.match(line):
            flush()
            fenced = []
            continue
        if not line.strip():
            flush()
            continue
        if heading := _HEADING.match(line):
            flush()
            out.append(Line("heading", inline_text(heading.group(2))))
            continue
        if _RULE.match(line):
            flush()
            continue
        bullet, ordered = _BULLET.match(line), _ORDERED.match(line)
        if bullet or ordered:
            flush()
            indent = len((bullet or ordered).group(1))  # type: ignore[union-attr]
            marker = BULLET if bullet else f"{ordered.group(2)}."  # type: ignore[union-attr]
            text = bullet.group(2) if bullet else ordered.group(3)  # type: ignore[union-attr]
            item = (marker, min(indent // 2, 3), [text])
            continue
        if quoted := _QUOTE.match(line):
            if pending or item is not None:
                flush()
            quote.append(quoted.group(1))
            continue
        if item is not None:  # a continuation line of a list item
            item[2].append(line.strip())
            continue
        if quote:  # lazy continuation of a quote
            quote.append(line)
            continue
        pending.append(line)
    if fenced:
        out.append(Line("paragraph", "\n".join(fenced)))
    flush()
    return out


# --- What the copy says -------------------------------------------------------------------


def _moment(value: datetime) -> str:
    """``3 Mar 2025, 14:05 EST (2025-03-03 19:05:00 UTC)``: the portal's one format in
    the practice's zone, named, then the exact UTC second for anyone checking the record."""
    utc = value.astimezone(UTC)
    return f"{format_when(value)} {format_zone(value)} ({utc:%Y-%m-%d %H:%M:%S} UTC)"


def signature_lines(signature: ConsentSignature, practice_name: str) -> list[Line]:
    """Everything the copy says, in order (decrypts the typed name and representative), in
    the active language (``signature_pdf`` makes it the signer's)."""
    version = signature.version
    document = version.document
    kind_label = str(DocumentKind(document.kind).label) if document.kind in \
        DocumentKind.values else document.kind
    lines = [
        Line("title", practice_name),
        Line("subtitle", version.display_title),
        Line("meta", gettext("Version %(number)s, effective %(day)s") % {
            "number": version.number, "day": format_day(version.effective_date)}),
        Line("meta", gettext("Language: %(language)s") % {"language": version.language_name}),
        Line("meta", gettext("Document type: %(kind)s") % {"kind": kind_label}),
        Line("notice", gettext("This is your copy of a consent you signed. Please keep it "
                               "somewhere private.")),
        Line("heading", gettext("Summary")),
        *(Line("summary", inline_text(text)) for text in _paragraphs(
            version.summary.replace("\r\n", "\n").split("\n"))),
        Line("heading", gettext("Full text")),
        *markdown_lines(version.body),
    ]
    authorization = ReleaseAuthorization.objects.filter(signature=signature).first()
    if authorization is not None:
        lines += authorization_lines(signature, authorization)
    box = [Line("box_title", gettext("Signature record")),
           Line("box", gettext("Signed by %(name)s") % {"name": signature.typed_name})]
    if signature.representative_name:
        authority = signature.representative_authority or gettext("authority not stated")
        box.append(Line("box", gettext(
            "Signed on the client's behalf by %(name)s (%(authority)s)") % {
                "name": signature.representative_name, "authority": authority}))
    box += [
        Line("box_label", gettext("Statement agreed to")),
        Line("box", signature.statement),
        Line("box_label", gettext("Language of the text signed")),
        Line("box", version.language_name),
        Line("box_label", gettext("Signed at")),
        Line("box", _moment(signature.signed_at)),
        Line("box_label", gettext("SHA-256 of the version signed")),
        Line("box_mono", signature.sha256),
        Line("box_label", gettext("Verification reference")),
        Line("box", signature.reference),
    ]
    if signature.withdrawn_at is not None:
        box.append(Line("withdrawn", gettext(
            "Withdrawn on %(moment)s. This consent no longer applies from that time.") % {
                "moment": _moment(signature.withdrawn_at)}))
    elif signature.is_expired():
        box.append(Line("withdrawn", gettext(
            "Expired: it applied until the end of %(day)s.") % {
                "day": _day(signature.expires_on)}))
    if signature.signer_set_id is not None:
        box += signer_set_lines(signature)
    return lines + box + [Line("note", gettext(HASH_NOTE))]


SIGNER_ROLE_WORDS: dict[str, str] = {
    SignerRole.GUARDIAN: gettext_noop("Guardian"), SignerRole.PARTNER: gettext_noop("Partner"),
    SignerRole.CLINICIAN: gettext_noop("Clinician"),
}


def signer_set_lines(signature: ConsentSignature) -> list[Line]:
    """The signatures a consent with several signers needs, and whether it counts
    (decrypts each signer's typed name, under that signer's own key)."""
    signer_set = SignerSet.objects.get(signatures=signature)
    if signer_set.withdrawn_at is not None:
        standing = gettext("Withdrawn by one of its signers on %(moment)s: it no longer "
                           "counts.") % {"moment": _moment(signer_set.withdrawn_at)}
    elif signer_set.completed_at is not None:
        standing = gettext("Signed by everyone needed; it counts from %(moment)s.") % {
            "moment": _moment(signer_set.completed_at)}
    else:
        standing = gettext("Waiting for another signature: it counts once everyone needed "
                           "has signed.")
    lines = [Line("box_label", gettext("This consent needs more than one signature")),
             Line("box", standing)]
    for number, required in enumerate(
        signer_set.required_signers.select_related("signature").order_by("role", "id"),
        start=1,
    ):
        role = gettext(SIGNER_ROLE_WORDS[required.role]) if required.role in \
            SIGNER_ROLE_WORDS else required.role
        theirs = required.signature
        if theirs is None:
            lines.append(Line("box", gettext("%(number)s. %(role)s: not signed yet") % {
                "number": number, "role": role}))
            continue
        lines.append(Line("box", gettext(
            "%(number)s. %(role)s: signed by %(name)s, %(moment)s, reference %(reference)s") % {
                "number": number, "role": role, "name": theirs.typed_name,
                "moment": _moment(theirs.signed_at), "reference": theirs.reference}))
    return lines


def _day(value: date | None) -> str:
    return format_day(value)


def authorization_lines(
    signature: ConsentSignature, authorization: ReleaseAuthorization
) -> list[Line]:
    """What an authorization to release information allows, as filled in, and the
    statements shown above the signature (decrypts the details)."""
    day, event = _day(signature.expires_on), authorization.expiry_event or ""
    if day and event:
        ends = gettext("%(day)s or %(event)s (whichever comes first)") % {
            "day": day, "event": event}
    else:
        ends = day or event
    pairs = [(gettext("What may be shared"), authorization.information)]
    if authorization.includes_substance_use:
        pairs.append((gettext("Substance use disorder records (42 CFR Part 2)"),
                      authorization.substance_use_information or ""))
    pairs += [
        (gettext("Who may share it"), authorization.discloser),
        (gettext("Who may receive it"), authorization.recipient),
        (gettext("Purpose"), authorization.purpose),
        (gettext("Ends"), ends),
    ]
    lines = [Line("heading", gettext("What this authorization allows"))]
    for label, value in pairs:
        lines += [Line("label", label), Line("paragraph", value)]
    lines.append(Line("heading", gettext("Statements shown above the signature")))
    lines += [Line("bullet", f"{BULLET} {text}")
              for text in authorization.required_statements.split("\n\n") if text]
    return lines


# --- Rendering ----------------------------------------------------------------------------

_STYLES: dict[str, TextStyle] = {
    "title": TextStyle(bold=True, size=16, line_height=8, space_after=1),
    "subtitle": TextStyle(bold=False, size=13, line_height=6.5, space_after=1),
    "meta": TextStyle(bold=False, size=10, line_height=5, space_after=0),
    "notice": TextStyle(bold=False, size=9, line_height=4.5, space_after=4),
    "heading": TextStyle(bold=True, size=12, line_height=6, space_after=1.5, space_before=2.5),
    "summary": TextStyle(bold=False, size=10, line_height=5, space_after=2),
    "paragraph": TextStyle(bold=False, size=10, line_height=5, space_after=2.5),
    "bullet": TextStyle(bold=False, size=10, line_height=5, space_after=1.5),
    "quote": TextStyle(bold=False, size=10, line_height=5, space_after=2.5, grey=60),
    "box_title": TextStyle(bold=True, size=12, line_height=6, space_after=2),
    "label": TextStyle(bold=True, size=9, line_height=4.5, space_after=0.5),
    "box_label": TextStyle(bold=True, size=9, line_height=4.5, space_after=0),
    "box": TextStyle(bold=False, size=10, line_height=5, space_after=1.5),
    "box_mono": TextStyle(bold=False, size=8.5, line_height=4.5, space_after=1.5),
    "withdrawn": TextStyle(bold=True, size=10.5, line_height=5.5, space_after=1.5),
    "note": TextStyle(bold=False, size=8.5, line_height=4.2, space_after=0),
}
_REPLACED_NOTE_STYLE = TextStyle(bold=False, size=8.5, line_height=4.2, space_after=0,
                                 space_before=2)
_BOX_KINDS = frozenset({"box_title", "box_label", "box", "box_mono", "withdrawn"})
_BOX_PADDING = 4.0
_INDENT = 6.0


def _height(pdf: CopyPDF, lines: Sequence[Line]) -> float:
    """How tall ``lines`` will be, measured without drawing (to keep the box on one page)."""
    return sum(pdf.height_of(line.text, _STYLES[line.kind]) for line in lines)


def _draw(pdf: CopyPDF, line: Line) -> None:
    indent = {"bullet": _INDENT * (line.level + 1), "quote": _INDENT}.get(line.kind, 0.0)
    pdf.styled_paragraph(line.text, _STYLES[line.kind], indent=indent)


def render_lines(lines: Sequence[Line], *, title: str, author: str, footer: str,
                 fonts: FontFiles | None, compress: bool = True) -> bytes:
    """Lay the copy out on A4 pages; the signature record is drawn in a box, kept on one
    page. ``fonts`` None means Helvetica."""
    pdf = new_copy_pdf(footer=footer, title=title, author=author,
                       subject=gettext("Copy of a signed consent"), fonts=fonts,
                       compress=compress)
    pdf.add_page()
    body = [line for line in lines if line.kind not in _BOX_KINDS]
    box = [line for line in lines if line.kind in _BOX_KINDS]
    trailing = [line for line in body if line.kind == "note"]
    for line in body:
        if line.kind != "note":
            _draw(pdf, line)
    if box:
        pdf.ln(4)
        width = pdf.epw
        pdf.indent(_BOX_PADDING)
        pdf.set_right_margin(pdf.r_margin + _BOX_PADDING)
        needed = _height(pdf, box) + 2 * _BOX_PADDING
        if needed < pdf.eph and pdf.will_page_break(needed):
            pdf.add_page()
        top, page = pdf.get_y(), pdf.page
        pdf.set_y(top + _BOX_PADDING)
        for line in box:
            _draw(pdf, line)
        pdf.indent(-_BOX_PADDING)
        pdf.set_right_margin(pdf.r_margin - _BOX_PADDING)
        if pdf.page == page:  # drawn in one piece: frame it
            bottom = pdf.get_y() + _BOX_PADDING - 1.5
            pdf.set_draw_color(80)
            pdf.set_line_width(0.4)
            pdf.rect(pdf.l_margin, top, width, bottom - top)
            pdf.set_y(bottom)
        pdf.ln(4)
    for line in trailing:
        _draw(pdf, line)
    return pdf.finish(gettext(REPLACED_NOTE), _REPLACED_NOTE_STYLE)


def signature_filename(signature: ConsentSignature, extension: str) -> str:
    """A download name that identifies the signature by its reference only."""
    return f"consent-{signature.reference}.{extension}"


def signature_pdf(signature: ConsentSignature, *, fonts: FontFiles | bool | None = True,
                  compress: bool = True) -> bytes:
    """The PDF copy of one signature (decrypts the typed name: the caller audits the
    export), written in the signer's language whoever downloads it. ``fonts`` is found
    automatically (``True``); tests may pass ``None`` for the Helvetica fallback, or
    ``compress=False`` to read the page content. The metadata names the document and the
    reference, never the signer."""
    practice = PracticeSettings.load().name
    version = signature.version
    with translation.override(language_of(signature.client)):
        return render_lines(
            signature_lines(signature, practice),
            title=gettext("%(title)s v%(number)s: consent %(reference)s") % {
                "title": version.display_title, "number": version.number,
                "reference": signature.reference},
            author=practice,
            footer=gettext("%(practice)s · consent %(reference)s") % {
                "practice": practice, "reference": signature.reference},
            fonts=find_unicode_font() if fonts is True else fonts or None,
            compress=compress,
        )
