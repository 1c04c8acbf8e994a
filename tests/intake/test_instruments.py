"""Instruments as their own definitions (PHQ-9, GAD-7, CSI-4): the shipped files, the parser
refusing malformed ones, the questionnaires that refer to them instead of repeating them,
the immutable stored versions, and scoring at every band edge."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intake.api import (
    CHECK_IN_INSTRUMENTS,
    HIGHER_IS_BETTER,
    HIGHER_IS_WORSE,
    InstrumentDefinition,
    UnknownInstrument,
    current_instrument,
    instrument_version,
)
from intake.definitions import (
    ADOLESCENT_FILE,
    COUPLE_FILE,
    DEFAULT_FILE,
    FAMILY_FILE,
    HISTORY_DIR,
    canonical_sha256,
    install_definition,
    read_definition,
)
from intake.instrument_references import expand_instrument_references
from intake.instrument_schema import parse_instrument
from intake.instrument_sources import INSTRUMENTS_DIR, read_instrument
from intake.instrument_store import install_instrument
from intake.models import ImmutableVersionError, InstrumentVersion
from intake.schema import DefinitionError, parse_definition
from intake.scoring import needs_prompt_review

# The SHA-256 (canonical JSON) of version 1 of each questionnaire as shipped, before the
# instruments moved into their own files (computed from commit cfef36f). Expanding the
# references must give exactly these: no new questionnaire version, no intake touched.
# Version 1's source files are kept in history/ since version 2 added Spanish.
VERSION_1_DIGESTS = {
    HISTORY_DIR / "default-v1.json":
        "7abd25a0a9285d6b36df0cca67d14d7825e5a87fabac54c133e7fe893e220c5e",
    HISTORY_DIR / "couple-v1.json":
        "94b3e1f92c2d85c098830081ea97eac7cc9508ccfca8c5817303a012173ed3a8",
    HISTORY_DIR / "family-v1.json":
        "d799cb45e52c0fbc22307231d078f957acd1f82aed38e662e02b9f9d75cee66a",
    HISTORY_DIR / "adolescent-v1.json":
        "9e301b9de784894f87c8eafe89e10094364c81322cb098e103e560d960c90e91",
}
SHIPPED_FILES = [DEFAULT_FILE, COUPLE_FILE, FAMILY_FILE, ADOLESCENT_FILE]


def _source(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INSTRUMENTS_DIR / f"{slug}.json").read_text("utf-8"))
    return data


def _answers(instrument: InstrumentDefinition, total: int) -> dict[str, Any]:
    """Answers to every item of ``instrument`` adding up to ``total`` (each item filled up
    to its highest value in turn)."""
    answers: dict[str, Any] = {}
    left = total
    for question, (low, high) in zip(instrument.items, instrument.scale.ranges(), strict=True):
        value = min(high, low + left)
        answers[question.id] = value
        left -= value - low
    assert left == 0, "the total is beyond the scale"
    return answers


# --- The shipped files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "items", "extras", "totals", "direction"),
    [
        ("phq9", 9, ["phq9_difficulty"], (0, 27), HIGHER_IS_WORSE),
        ("gad7", 7, [], (0, 21), HIGHER_IS_WORSE),
        ("csi4", 4, [], (0, 21), HIGHER_IS_BETTER),
    ],
)
def test_each_shipped_instrument_parses(
    slug: str, items: int, extras: list[str], totals: tuple[int, int], direction: str
) -> None:
    instrument = parse_instrument(read_instrument(INSTRUMENTS_DIR / f"{slug}.json"))
    assert (instrument.slug, instrument.version) == (slug, _source(slug)["version"])
    assert len(instrument.items) == items
    assert [question.id for question in instrument.extras] == extras
    assert (instrument.min_total, instrument.max_total) == totals
    assert instrument.direction == direction
    assert instrument.attribution
    assert all(question.required and not question.sensitive for question in instrument.items)


def test_the_published_codes_cut_off_and_change_defaults() -> None:
    phq9, gad7, csi4 = (parse_instrument(_source(slug)) for slug in ("phq9", "gad7", "csi4"))
    assert phq9.loinc is not None and (phq9.loinc.total, phq9.loinc.panel) == (
        "44261-6", "44249-1")
    assert gad7.loinc is not None and (gad7.loinc.total, gad7.loinc.panel) == (
        "70274-6", "69737-5")
    assert csi4.loinc is None
    assert phq9.cutoff is None and gad7.cutoff is None
    assert csi4.cutoff is not None
    assert (csi4.cutoff.value, csi4.cutoff.label) == (13.5, "notable relationship distress")
    assert (phq9.change.response_drop_percent, phq9.change.remission_below,
            phq9.change.reliable_change) == (50, 5, 6)
    assert (gad7.change.response_drop_percent, gad7.change.remission_below,
            gad7.change.reliable_change) == (None, 5, 4)
    assert (csi4.change.response_drop_percent, csi4.change.remission_below,
            csi4.change.reliable_change) == (None, None, None)
    assert [rule.question for rule in phq9.safety] == ["phq9_9"]
    assert gad7.safety == () and csi4.safety == ()


def test_the_prompts_are_the_stems_the_questionnaires_show() -> None:
    assert parse_instrument(_source("phq9")).prompt == (
        "Over the last 2 weeks, how often have you been bothered by any of the following "
        "problems?")
    assert parse_instrument(_source("gad7")).prompt == (
        "Over the last 2 weeks, how often have you been bothered by the following problems?")
    assert parse_instrument(_source("csi4")).prompt == ""


# --- Malformed instrument files, refused with where --------------------------------------


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[key] = value
    return change


def _item(key: str, value: Any, number: int = 0) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["items"][number][key] = value
    return change


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[key]
    return change


def _band(number: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["bands"][number][key] = value
    return change


def _extra_repeats_an_item(data: dict[str, Any]) -> None:
    data["extras"][0]["id"] = "phq9_1"


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("an unknown key", _set("colour", "blue"), r"instrument: unknown keys \['colour'\]"),
    ("a slug in capitals", _set("slug", "PHQ9"), r"'slug' is a lower-case identifier"),
    ("a slug too long for its column", _set("slug", "p" * 33), r"at most 32 characters"),
    ("no version", _without("version"), r"'version' is required"),
    ("a version too long", _set("version", "1" * 17), r"'version' is at most 16"),
    ("no title", _without("title"), r"'title' must be text"),
    ("no items", _set("items", []), r"'items' is a non-empty list of questions"),
    ("an item with a condition",
     _item("condition", {"question": "phq9_1", "equals": 0}, 1),
     r"items\[1\]: an instrument's questions are always asked"),
    ("an item saying who sees it", _item("visibility", "shared"),
     r"items\[0\]: a questionnaire's page says who sees"),
    ("an item named for another instrument", _item("id", "gad7_9"),
     r"items\[0\]: question id 'gad7_9' must start with 'phq9_'"),
    ("an optional item", _item("required", False),
     r"item 'phq9_1' must be required and not sensitive"),
    ("an item of free text", _item("type", "short_text"),
     r"items\[0\] \(phq9_1\): short_text questions take no options"),
    ("an extra with an item's id", _extra_repeats_an_item,
     r"question id 'phq9_1' is used twice"),
    ("bands with a gap", _band(1, "min", 6), r"bands\[1\]: bands must run on from 5"),
    ("bands short of the highest total", _band(4, "max", 26),
     r"bands must cover 0 to 27 exactly"),
    ("no direction", _without("direction"), r"'direction' is one of higher_is_worse"),
    ("a direction not known", _set("direction", "up"), r"not 'up'"),
    ("a LOINC code mistyped", _set("loinc", {"total": "44261", "panel": "44249-1"}),
     r"loinc: '44261' is not a LOINC code"),
    ("a LOINC without its panel", _set("loinc", {"total": "44261-6"}),
     r"'loinc' has a 'total' and a 'panel' code"),
    ("a cut-off beyond the scale", _set("cutoff", {"value": 30, "label": "high"}),
     r"cutoff: 'value' is a number between 0 and 27"),
    ("a cut-off saying nothing", _set("cutoff", {"value": 10, "label": " "}),
     r"'label' says what the cut-off suggests"),
    ("no change defaults", _without("change"), r"'change' is an object"),
    ("a change rule not known", _set("change", {"halved": 1}),
     r"change: unknown keys \['halved'\]"),
    ("a reliable change of nothing", _set("change", {"reliable_change": 0}),
     r"'reliable_change' is 1 to 27 points"),
    ("a remission below the lowest total", _set("change", {"remission_below": 0}),
     r"'remission_below' is a total from 1 to 27"),
    ("a response as a fraction", _set("change", {"response_drop_percent": 0.5}),
     r"'response_drop_percent' is a whole number"),
    ("a safety rule on another question",
     _set("safety", [{"question": "thoughts_of_ending_life_now", "equals": "yes"}]),
     r"safety\[0\]: condition refers to 'thoughts_of_ending_life_now'"),
    ("a safety rule on an answer item 9 cannot have",
     _set("safety", [{"question": "phq9_9", "in": [4]}]),
     r"safety\[0\]: 4 is not an answer 'phq9_9' can have"),
]


@pytest.mark.parametrize(("case", "change", "message"), MALFORMED,
                         ids=[case for case, _, _ in MALFORMED])
def test_a_malformed_instrument_is_refused_saying_where(
    case: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = _source("phq9")
    change(data)
    with pytest.raises(DefinitionError, match=message):
        parse_instrument(data)


def test_response_and_remission_are_refused_where_higher_is_better() -> None:
    data = _source("csi4")
    data["change"] = {"remission_below": 14}
    with pytest.raises(DefinitionError, match="only for a scale where higher is worse"):
        parse_instrument(data)


@pytest.mark.parametrize("content", ["{not json", "[]", json.dumps({"slug": "phq9"})])
def test_a_bad_instrument_file_is_refused_by_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"^broken\.json: "):
        read_instrument(path)


# --- Questionnaires refer to instruments --------------------------------------------------


@pytest.mark.parametrize("path", list(VERSION_1_DIGESTS), ids=lambda path: path.name)
def test_the_expanded_questionnaires_hash_exactly_as_version_1_shipped(path: Path) -> None:
    assert canonical_sha256(read_definition(path)) == VERSION_1_DIGESTS[path]


@pytest.mark.django_db
def test_installing_the_questionnaires_adds_no_version() -> None:
    for path, digest in VERSION_1_DIGESTS.items():
        stored = install_definition(path)
        assert (stored.version, stored.sha256) == ("1", digest)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_the_source_files_no_longer_repeat_the_instruments(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert '"instrument": "phq9"' in source and '{"ref": "phq9"}' in source
    assert not re.search(r'"id": "(phq9|gad7|csi4)_', source)
    assert '"question": "phq9_9"' not in source  # the rule comes with the PHQ-9


def test_a_questionnaire_carries_its_instruments_safety_rule() -> None:
    questionnaire = parse_definition(read_definition(DEFAULT_FILE))
    assert needs_prompt_review(questionnaire, {"phq9_9": 1})
    assert not needs_prompt_review(questionnaire, {"phq9_9": 0})


def _default_source() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    return data


def _feelings(data: dict[str, Any]) -> list[Any]:
    questions: list[Any] = next(s for s in data["sections"] if s["id"] == "feelings")[
        "questions"]
    return questions


def _unknown_instrument(data: dict[str, Any]) -> None:
    _feelings(data)[0] = {"instrument": "phq8"}


def _reference_with_an_override(data: dict[str, Any]) -> None:
    _feelings(data)[0] = {"instrument": "phq9", "why": "Because."}


def _asked_twice(data: dict[str, Any]) -> None:
    data["sections"][0]["questions"].append({"instrument": "phq9"})


def _asked_not_scored(data: dict[str, Any]) -> None:
    data["instruments"] = [{"ref": "gad7"}]


def _scored_not_asked(data: dict[str, Any]) -> None:
    data["instruments"].append({"ref": "csi4"})


def _scored_twice(data: dict[str, Any]) -> None:
    data["instruments"].append({"ref": "gad7"})


def _written_out_inline(data: dict[str, Any]) -> None:
    data["instruments"].append({"id": "csi4", "title": "CSI-4", "items": [], "bands": []})


def _rule_repeated(data: dict[str, Any]) -> None:
    data["safety"].insert(0, {"question": "phq9_9", "in": [1, 2, 3]})


BAD_REFERENCES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("an unknown instrument", _unknown_instrument,
     r"sections\[2\]\.questions\[0\]: no instrument 'phq8' ships"),
    ("a reference with more keys", _reference_with_an_override,
     r"sections\[2\]\.questions\[0\]: a reference to an instrument is"),
    ("an instrument asked twice", _asked_twice,
     r"sections\[2\]\.questions\[0\]: instrument 'phq9' is already asked at "
     r"sections\[0\]\.questions\[\d+\]"),
    ("asked but not scored", _asked_not_scored,
     r"instrument 'phq9' is asked but not scored"),
    ("scored but not asked", _scored_not_asked,
     r"instruments\[2\]: instrument 'csi4' is scored but no section asks it"),
    ("scored twice", _scored_twice, r"instruments\[2\]: instrument 'gad7' is listed twice"),
    ("a shipped instrument written out", _written_out_inline,
     r"instruments\[2\]: 'csi4' ships as its own definition"),
    ("its safety rule repeated", _rule_repeated,
     r"safety\[0\]: this rule comes with its instrument already"),
]


@pytest.mark.parametrize(("case", "change", "message"), BAD_REFERENCES,
                         ids=[case for case, _, _ in BAD_REFERENCES])
def test_a_bad_reference_to_an_instrument_is_refused_saying_where(
    tmp_path: Path, case: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = _default_source()
    change(data)
    path = tmp_path / "default.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError, match=message):
        read_definition(path)


def test_expanding_leaves_the_source_as_it_was() -> None:
    before = _default_source()
    data = copy.deepcopy(before)
    expanded = expand_instrument_references(data)
    assert data == before
    assert expanded != before


# --- Stored versions ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stored_instrument_version_never_changes() -> None:
    first = install_instrument(INSTRUMENTS_DIR / "phq9.json")
    assert install_instrument(INSTRUMENTS_DIR / "phq9.json").pk == first.pk
    assert InstrumentVersion.objects.filter(slug="phq9").count() == 1
    assert first.sha256 == canonical_sha256(_source("phq9"))
    assert first.instrument.title == "PHQ-9"
    first.definition = {**first.definition, "title": "Something else"}
    with pytest.raises(ImmutableVersionError):
        first.save()


@pytest.mark.django_db
def test_a_changed_instrument_under_the_same_version_is_refused(tmp_path: Path) -> None:
    install_instrument(INSTRUMENTS_DIR / "phq9.json")
    changed = _source("phq9")
    changed["bands"][0]["label"] = "Quietly renamed"
    path = tmp_path / "phq9.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(DefinitionError, match="phq9 version 2 is already in use"):
        install_instrument(path)
    changed["version"] = "3"
    path.write_text(json.dumps(changed), encoding="utf-8")
    assert install_instrument(path).version == "3"
    # An answer given to version 1 still reads against version 1's bands, and the reverse.
    assert instrument_version("phq9", "2").bands[0].label == "Minimal"
    assert instrument_version("phq9", "3").bands[0].label == "Quietly renamed"


@pytest.mark.django_db
@pytest.mark.parametrize("slug", CHECK_IN_INSTRUMENTS)
def test_the_current_instrument_is_stored_on_first_use(slug: str) -> None:
    assert not InstrumentVersion.objects.filter(slug=slug).exists()
    instrument = current_instrument(slug)
    stored = InstrumentVersion.objects.get(slug=slug)
    assert (stored.version, stored.sha256) == (_source(slug)["version"],
                                               canonical_sha256(_source(slug)))
    assert current_instrument(slug) is instrument
    assert instrument_version(slug, instrument.version) == instrument


@pytest.mark.django_db
def test_a_shipped_version_not_yet_stored_is_stored_when_read_back() -> None:
    assert instrument_version("gad7", "1").title == "GAD-7"
    assert InstrumentVersion.objects.filter(slug="gad7", version="1").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("slug", "version"),
                         [("phq9", "7"), ("phq8", "1"), ("../questionnaires/default", "1"),
                          ("", "1")])
def test_an_instrument_that_does_not_exist_is_a_clear_error(slug: str, version: str) -> None:
    with pytest.raises(UnknownInstrument):
        instrument_version(slug, version)
    if version == "1":
        with pytest.raises(UnknownInstrument, match="ships"):
            current_instrument(slug)


# --- Scores at every band edge ------------------------------------------------------------


BAND_EDGES = [
    # PHQ-9 (Kroenke, Spitzer & Williams 2001): one below, at and one above each edge.
    ("phq9", 3, "Minimal"), ("phq9", 4, "Minimal"), ("phq9", 5, "Mild"),
    ("phq9", 8, "Mild"), ("phq9", 9, "Mild"), ("phq9", 10, "Moderate"),
    ("phq9", 13, "Moderate"), ("phq9", 14, "Moderate"), ("phq9", 15, "Moderately severe"),
    ("phq9", 18, "Moderately severe"), ("phq9", 19, "Moderately severe"),
    ("phq9", 20, "Severe"), ("phq9", 21, "Severe"), ("phq9", 0, "Minimal"),
    ("phq9", 27, "Severe"),
    # GAD-7 (Spitzer et al. 2006).
    ("gad7", 3, "Minimal"), ("gad7", 4, "Minimal"), ("gad7", 5, "Mild"),
    ("gad7", 8, "Mild"), ("gad7", 9, "Mild"), ("gad7", 10, "Moderate"),
    ("gad7", 13, "Moderate"), ("gad7", 14, "Moderate"), ("gad7", 15, "Severe"),
    ("gad7", 16, "Severe"), ("gad7", 21, "Severe"),
    # CSI-4 (Funk & Rogge 2007): 13 is below the 13.5 cut-off, 14 above it.
    ("csi4", 12, "Below the cut-off: suggests notable relationship distress"),
    ("csi4", 13, "Below the cut-off: suggests notable relationship distress"),
    ("csi4", 14, "Above the distress cut-off"),
    ("csi4", 15, "Above the distress cut-off"),
    ("csi4", 0, "Below the cut-off: suggests notable relationship distress"),
    ("csi4", 21, "Above the distress cut-off"),
]


@pytest.mark.parametrize(("slug", "total", "band"), BAND_EDGES,
                         ids=[f"{slug}-{total}" for slug, total, _ in BAND_EDGES])
def test_scores_at_the_band_edges(slug: str, total: int, band: str) -> None:
    instrument = parse_instrument(_source(slug))
    score = instrument.score(_answers(instrument, total))
    assert score is not None
    assert (score.total, score.band) == (total, band)
    total_again, band_again = score  # a (total, band) pair too
    assert (total_again, band_again) == (total, band)


def test_the_csi4_cut_off_falls_between_its_bands() -> None:
    csi4 = parse_instrument(_source("csi4"))
    assert csi4.cutoff is not None
    below = csi4.score(_answers(csi4, 13))
    above = csi4.score(_answers(csi4, 14))
    assert below is not None and above is not None
    assert below.total < csi4.cutoff.value < above.total
    assert csi4.cutoff.label in below.band and csi4.cutoff.label not in above.band


@pytest.mark.parametrize("slug", CHECK_IN_INSTRUMENTS)
def test_a_partial_or_impossible_answer_has_no_score(slug: str) -> None:
    instrument = parse_instrument(_source(slug))
    answers = _answers(instrument, 5)
    last = instrument.items[-1].id
    assert instrument.score({k: v for k, v in answers.items() if k != last}) is None
    assert instrument.score({**answers, last: None}) is None
    assert instrument.score({**answers, last: 99}) is None
    assert instrument.score({**answers, last: True}) is None
    assert instrument.score({**answers, last: "1"}) is None
    assert instrument.score({}) is None


@pytest.mark.parametrize(("answer", "flagged"), [(0, False), (1, True), (2, True), (3, True),
                                                 (None, False)])
def test_phq9_item_9_above_not_at_all_needs_prompt_review(answer: int | None,
                                                          flagged: bool) -> None:
    phq9 = parse_instrument(_source("phq9"))
    answers = {**_answers(phq9, 0), "phq9_9": answer}
    assert phq9.needs_prompt_review(answers) is flagged


@pytest.mark.parametrize("slug", ["gad7", "csi4"])
def test_the_other_instruments_raise_no_safety_flag(slug: str) -> None:
    instrument = parse_instrument(_source(slug))
    assert not instrument.needs_prompt_review(_answers(instrument, instrument.max_total))
