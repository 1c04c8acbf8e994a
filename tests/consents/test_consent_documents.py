"""The default consent documents shipped as editable Markdown templates.

No database: these tests read ``consents/documents/index.json`` and the Markdown files it names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import consents

DOCUMENTS_DIR = Path(consents.__file__).parent / "documents"
INDEX = DOCUMENTS_DIR / "index.json"

TEMPLATE_NOTICE = (
    "> **Template.** This is a starting point written in plain language. Your practice must "
    "review and adapt it with its own legal counsel before use."
)

EXPECTED_KINDS = [
    "electronic_signatures",
    "treatment",
    "privacy_notice",
    "telehealth",
    "communication",
    "fees",
    "release_authorization",
    "secrets_no_secrets",
    "secrets_limited_secrets",
    "adolescent_assent",
]
REQUIREMENTS = {"before_intake", "before_first_session", "optional"}
HTML_TAG = re.compile(r"<[A-Za-z]")


def _index() -> dict[str, Any]:
    return json.loads(INDEX.read_text(encoding="utf-8"))


def _documents() -> list[dict[str, Any]]:
    return _index()["documents"]


def _text(kind: str) -> str:
    return (DOCUMENTS_DIR / f"{kind}.md").read_text(encoding="utf-8")


def _plain(kind: str) -> str:
    """The document lower-cased, with Markdown emphasis removed and whitespace collapsed, so
    phrase checks do not depend on line breaks or bold text."""
    text = _text(kind).lower().replace("*", "").replace("\u2019", "'")
    return re.sub(r"\s+", " ", text)


def test_index_parses_as_a_list_of_documents() -> None:
    index = _index()
    assert set(index) == {"documents"}
    assert isinstance(index["documents"], list)
    for document in index["documents"]:
        assert set(document) == {"kind", "title", "requirement", "file", "summary"}
        assert all(isinstance(value, str) and value.strip() for value in document.values())


def test_kinds_are_the_ten_defaults_in_order() -> None:
    assert [document["kind"] for document in _documents()] == EXPECTED_KINDS


def test_titles_are_unique() -> None:
    titles = [document["title"] for document in _documents()]
    assert len(titles) == len(set(titles))


def test_requirements_are_known() -> None:
    requirements = {document["kind"]: document["requirement"] for document in _documents()}
    assert set(requirements.values()) <= REQUIREMENTS
    # The e-signature consent comes first and is needed before anything else can be signed.
    assert requirements["electronic_signatures"] == "before_intake"


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_is_named_after_kind_and_exists(kind: str) -> None:
    (document,) = (d for d in _documents() if d["kind"] == kind)
    assert document["file"] == f"{kind}.md"
    assert (DOCUMENTS_DIR / document["file"]).is_file()


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_starts_with_the_template_notice(kind: str) -> None:
    lines = _text(kind).splitlines()
    assert lines[0] == TEMPLATE_NOTICE
    assert lines[1] == ""


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_has_no_raw_html(kind: str) -> None:
    text = _text(kind)
    assert not HTML_TAG.search(text), HTML_TAG.search(text)


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_has_headings(kind: str) -> None:
    assert re.search(r"^## \S", _text(kind), flags=re.MULTILINE)


@pytest.mark.parametrize("kind", EXPECTED_KINDS)
def test_file_has_no_links_or_images(kind: str) -> None:
    text = _text(kind)
    assert not re.search(r"!\[", text)
    assert not re.search(r"\]\((?!mailto:|tel:)", text)
    assert not re.search(r"https?://", text)


@pytest.mark.parametrize("document", _documents(), ids=lambda d: d["kind"])
def test_summary_is_short_and_present(document: dict[str, Any]) -> None:
    summary = document["summary"].strip()
    assert summary
    assert len(summary) < 600
    assert not HTML_TAG.search(summary)


def test_release_authorization_has_the_required_hipaa_statements() -> None:
    text = _plain("release_authorization")
    # 164.508(c)(2)(i): the right to revoke in writing, how, and the reliance exception.
    assert "revoke" in text
    assert "in writing" in text
    assert "my consents" in text
    assert "in reliance" in text
    # 164.508(c)(2)(ii): treatment, payment, enrollment or eligibility not conditioned on it.
    assert "not condition your treatment, payment, enrollment" in text
    assert "eligibility for benefits" in text
    # 164.508(c)(2)(iii): redisclosure by the recipient, no longer protected.
    assert "redisclosed" in text
    assert "no longer be protected" in text


def test_release_authorization_covers_substance_use_records() -> None:
    text = _plain("release_authorization")
    assert "substance use" in text
    assert "42 cfr part 2" in text
    assert "specifically include" in text
    assert "criminal" in text


def test_electronic_signature_consent_covers_paper_and_withdrawal() -> None:
    text = _plain("electronic_signatures")
    assert "paper copies" in text
    assert "withdraw" in text
    assert "pdf" in text
    assert "email" in text


def test_privacy_acknowledgement_says_it_is_not_agreement() -> None:
    text = _plain("privacy_notice")
    assert "not an agreement" in text
    assert "refusing to sign will not affect your care" in text
    assert "office for civil rights" in text


@pytest.mark.parametrize("kind", ["treatment", "telehealth"])
def test_crisis_numbers_are_given(kind: str) -> None:
    text = _plain(kind)
    assert "988" in text
    assert "911" in text


@pytest.mark.parametrize("kind", ["secrets_no_secrets", "secrets_limited_secrets"])
def test_the_secrets_policies_say_what_happens_to_what_one_partner_says_alone(
    kind: str,
) -> None:
    text = _plain(kind)
    assert "alone" in text
    assert "every adult in your case signs it before their intake" in text
    assert "988" in text and "911" in text
    assert "withdraw" in text


def test_the_assent_is_written_for_a_young_person() -> None:
    text = _plain("adolescent_assent")
    assert "your parent or guardian has agreed" in text
    assert "you can change your mind" in text
    assert "has to tell someone" in text
    assert "988" in text
