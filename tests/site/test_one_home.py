"""Each cross-cutting job has one home in the platform, and the source tree proves nobody
does it another way: mail leaves through ``portal.mail`` only, only ``portal.rate_limits``
touches allauth's internal rate limiter, and only ``portal.pdf`` draws a PDF. Those homes
are platform: they import no feature app."""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Not the portal's own code: tests may reach into anything to check it, the rest is not ours.
_NOT_SOURCE = {".venv", ".git", "tests", "node_modules", "static", "__pycache__"}


@cache
def source_files() -> dict[str, str]:
    """Every Python file of the portal's code, by path from the top of the clone."""
    found: dict[str, str] = {}
    for top in sorted(ROOT.iterdir()):
        if top.name in _NOT_SOURCE or top.name.startswith("."):
            continue
        paths = [top] if top.suffix == ".py" else sorted(top.rglob("*.py")) if top.is_dir() \
            else []
        for path in paths:
            relative = path.relative_to(ROOT)
            if not _NOT_SOURCE & set(relative.parts):
                found[relative.as_posix()] = path.read_text(encoding="utf-8")
    return found


def files_matching(pattern: str) -> set[str]:
    compiled = re.compile(pattern, re.MULTILINE)
    return {path for path, text in source_files().items() if compiled.search(text)}


def test_the_scan_sees_the_whole_tree() -> None:
    files = source_files()
    assert {"manage.py", "portal/settings.py", "intake/models.py",
            "consents/models.py"} <= set(files)
    assert not any(path.startswith(("tests/", ".venv/")) for path in files)


# Django's ways of sending mail (naming a mail backend in the settings is not sending);
# allauth's goes through the adapter's send_mail.
SENDS_MAIL = (r"\bdjango\.core\.mail\b(?!\.backends\.)|^\s*from django\.core import [^\n]*\bmail\b"
              r"|\b(EmailMessage|EmailMultiAlternatives|send_mass_mail|mail_admins"
              r"|mail_managers)\b|super\(\)\.send_mail\(")


@pytest.mark.parametrize("sample", [
    "from django.core.mail import send_mail",
    "from django.core import mail",
    "    msg = EmailMultiAlternatives(subject, body)",
    "        super().send_mail(template_prefix, email, context)",
])
def test_the_mail_pattern_catches_each_way_of_sending(sample: str) -> None:
    assert re.search(SENDS_MAIL, sample, re.MULTILINE)


def test_mail_leaves_through_portal_mail_only() -> None:
    assert files_matching(SENDS_MAIL) == {"portal/mail/delivery.py"}


# allauth's limiter is internal to allauth, however it is imported.
ALLAUTH_LIMITER = (r"allauth\.core(\.internal)?\.ratelimit\b"
                   r"|from allauth\.core(\.internal)? import [^\n]*\bratelimit\b")


@pytest.mark.parametrize("sample", [
    "from allauth.core.internal import ratelimit",
    "from allauth.core.internal.ratelimit import consume",
    "import allauth.core.ratelimit",
    "from allauth.core import ratelimit as limiter",
])
def test_the_limiter_pattern_catches_each_way_of_importing_it(sample: str) -> None:
    assert re.search(ALLAUTH_LIMITER, sample, re.MULTILINE)


def test_only_portal_rate_limits_touches_allauths_limiter() -> None:
    assert files_matching(ALLAUTH_LIMITER) == {"portal/rate_limits.py"}


# fpdf2, however it is imported.
DRAWS_PDF = r"^\s*(from|import)\s+fpdf\b|\bFPDF\("


@pytest.mark.parametrize("sample", [
    "from fpdf import FPDF",
    "    from fpdf.enums import XPos",
    "import fpdf",
    "pdf = FPDF(format='A4')",
])
def test_the_pdf_pattern_catches_each_way_of_drawing(sample: str) -> None:
    assert re.search(DRAWS_PDF, sample, re.MULTILINE)


def test_only_portal_pdf_draws_pdfs() -> None:
    drawing = files_matching(DRAWS_PDF)
    assert drawing and all(path.startswith("portal/pdf/") for path in drawing), drawing


# The homes above, and what they may stand on: the standard library, the platform, Django,
# allauth and fpdf2; never a feature app.
HOMES = ("portal/mail/", "portal/rate_limits.py", "portal/pdf/")
ALLOWED_ROOTS = {"portal", "django", "allauth", "fpdf"} | set(sys.stdlib_module_names)


def _imported_roots(text: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_homes_stand_on_the_platform_only() -> None:
    homes = {path: text for path, text in source_files().items() if path.startswith(HOMES)}
    assert len(homes) >= 6  # mail, rate limits, the pdf package's modules
    for path, text in homes.items():
        assert _imported_roots(text) <= ALLOWED_ROOTS, path
