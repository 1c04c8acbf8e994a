"""The draft editor's operations: each returns a changed copy (the draft given is never
changed), refuses what could never be right with a reason in words, and keeps locked
questions (the client's details, the safety question, instrument blocks) as they mean."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from intake.builder import edits
from intake.builder.edits import EditError
from intake.definitions import DEFAULT_FILE, read_source
from intake.publishing import checked_definition
from intake.schema import DefinitionError


@pytest.fixture
def source() -> dict[str, Any]:
    return read_source(DEFAULT_FILE)


def _ids(source: dict[str, Any], section: int) -> list[str]:
    return [entry.get("id") or f"instrument:{entry['instrument']}"
            for entry in source["sections"][section]["questions"]]


def _section_ids(source: dict[str, Any]) -> list[str]:
    return [section["id"] for section in source["sections"]]


def _problem(source: dict[str, Any]) -> str | None:
    try:
        checked_definition(source)
    except DefinitionError as error:
        return str(error)
    return None


def test_edits_never_change_what_they_are_given(source: dict[str, Any]) -> None:
    before = copy.deepcopy(source)
    edits.section_add(source, section_id="extra", title={"en": "Extra"})
    edits.question_remove(source, "tried_so_far")
    edits.question_move(source, "tried_so_far", edits.UP)
    edits.instrument_remove(source, "phq9")
    edits.option_remove(source, "since_when", source["sections"][1]["questions"][1][
        "options"][0]["value"])
    assert source == before


# --- Sections ---------------------------------------------------------------------------


def test_a_section_is_added_updated_moved_and_removed(source: dict[str, Any]) -> None:
    changed = edits.section_add(source, section_id="your_work",
                                title={"en": "Your work", "es": "Su trabajo"})
    assert changed["sections"][-1] == {"id": "your_work",
                                       "title": {"en": "Your work", "es": "Su trabajo"},
                                       "questions": []}
    changed = edits.section_update(changed, "your_work", new_id="work",
                                   texts={"intro": {"en": "About work", "es": ""}})
    assert changed["sections"][-1]["intro"] == {"en": "About work"}
    changed = edits.section_move(changed, "work", edits.UP)
    assert _section_ids(changed)[-2] == "work"
    changed = edits.section_remove(changed, "work")
    assert _section_ids(changed) == _section_ids(source)


def test_section_refusals(source: dict[str, Any]) -> None:
    with pytest.raises(EditError, match="already used"):
        edits.section_add(source, section_id="about_you", title={"en": "Again"})
    with pytest.raises(EditError, match="lower-case"):
        edits.section_add(source, section_id="Not A Slug", title={"en": "X"})
    with pytest.raises(EditError, match="English text is required"):
        edits.section_add(source, section_id="blank", title={"en": " ", "es": "Hola"})
    with pytest.raises(EditError, match="already first"):
        edits.section_move(source, "about_you", edits.UP)
    with pytest.raises(EditError, match="already last"):
        edits.section_move(source, source["sections"][-1]["id"], edits.DOWN)
    with pytest.raises(EditError, match="legal_name"):
        edits.section_remove(source, "about_you")
    with pytest.raises(EditError, match="no section"):
        edits.section_remove(source, "nowhere")
    with pytest.raises(EditError, match="only in couple"):
        edits.section_update(source, "about_you", visibility="shared")
    with pytest.raises(EditError, match="does not write"):
        edits.section_update(source, "about_you", texts={"title": {"en": "A", "fr": "B"}})
    with pytest.raises(EditError, match="control characters"):
        edits.section_update(source, "about_you", texts={"title": {"en": "A\x00B"}})
    with pytest.raises(EditError, match="at most"):
        edits.section_update(source, "about_you", texts={"intro": {"en": "x" * 6000}})
    with pytest.raises(EditError, match="English text first"):
        edits.section_update(source, "about_you", texts={"intro": {"en": "", "es": "Hola"}})


def test_removing_a_section_removes_its_instrument_blocks_whole(
    source: dict[str, Any],
) -> None:
    changed = edits.section_remove(source, "feelings")
    assert "instruments" not in changed
    assert _problem(changed) is None


def test_the_last_section_cannot_be_removed(source: dict[str, Any]) -> None:
    source["sections"] = [source["sections"][1]]
    with pytest.raises(EditError, match="at least one section"):
        edits.section_remove(source, source["sections"][0]["id"])


def test_a_shared_questionnaires_new_section_starts_private(source: dict[str, Any]) -> None:
    source["audience"] = "couple"
    changed = edits.section_add(source, section_id="together", title={"en": "Together"})
    assert changed["sections"][-1]["visibility"] == "private"
    changed = edits.section_update(changed, "together", visibility="shared")
    assert changed["sections"][-1]["visibility"] == "shared"
    with pytest.raises(EditError, match="private or shared"):
        edits.section_update(changed, "together", visibility="everyone")


# --- Questions --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", edits.ADDABLE_TYPES)
def test_a_question_of_each_type_is_added(source: dict[str, Any], kind: str) -> None:
    changed = edits.question_add(source, section_id="what_brings_you",
                                 question_type_name=kind, question_id="new_one",
                                 label={"en": "New", "es": "Nueva"})
    added = changed["sections"][1]["questions"][-1]
    assert (added["id"], added["type"], added["label"]) == (
        "new_one", kind, {"en": "New", "es": "Nueva"})
    if kind in ("single_choice", "multiple_choice"):
        assert "two options" in (_problem(changed) or "")
        for value in ("a", "b"):
            changed = edits.option_add(changed, "new_one", value=value, label={"en": value})
    if kind == "group":
        assert "lists its questions" in (_problem(changed) or "")
        changed = edits.question_add(changed, section_id="what_brings_you",
                                     question_type_name="short_text",
                                     question_id="new_one_name", label={"en": "Name"},
                                     group_id="new_one")
    assert _problem(changed) is None


def test_question_add_refusals(source: dict[str, Any]) -> None:
    def add(**kwargs: Any) -> None:
        edits.question_add(source, **{"section_id": "about_you",
                                      "question_type_name": "short_text",
                                      "question_id": "fresh", "label": {"en": "Fresh"},
                                      **kwargs})
    with pytest.raises(EditError, match="already used"):
        add(question_id="legal_name")
    with pytest.raises(EditError, match="already used"):
        add(question_id="phq9_1")  # an instrument block's item
    with pytest.raises(EditError, match="type of question"):
        add(question_type_name="frequency")
    with pytest.raises(EditError, match="lower-case"):
        add(question_id="has space")
    with pytest.raises(EditError, match="English text is required"):
        add(label={"en": ""})
    with pytest.raises(EditError, match="no section"):
        add(section_id="nowhere")
    with pytest.raises(EditError, match="Only a repeating group"):
        add(group_id="tried_so_far")
    with pytest.raises(EditError, match="another group"):
        add(group_id="important_people", question_type_name="group")


def test_a_question_is_updated(source: dict[str, Any]) -> None:
    changed = edits.question_update(
        source, "tried_so_far", new_id="tried_before",
        texts={"label": {"en": "Tried", "es": "Intentado"}, "help": {"en": "", "es": ""}},
        settings_={"required": True, "max_length": 50})
    question = edits.find_question(changed, "tried_before")
    assert question["label"] == {"en": "Tried", "es": "Intentado"}
    assert "help" not in question
    assert question["required"] is True and question["max_length"] == 50
    assert _problem(changed) is None


def test_renaming_a_question_keeps_the_conditions_on_it(source: dict[str, Any]) -> None:
    changed = edits.question_update(source, "heard_about_us", new_id="found_us")
    assert edits.find_question(changed, "heard_about_us_other")["condition"][
        "question"] == "found_us"
    assert _problem(changed) is None


def test_question_update_refusals(source: dict[str, Any]) -> None:
    with pytest.raises(EditError, match="always optional"):
        edits.question_set_sensitive(
            edits.question_set_required(source, "tried_so_far", True), "tried_so_far", True)
    with pytest.raises(EditError, match="only in couple"):
        edits.question_set_visibility(source, "tried_so_far", "shared")
    with pytest.raises(EditError, match="whole number"):
        edits.question_update(source, "tried_so_far", settings_={"max_length": 0})
    with pytest.raises(EditError, match="has no"):
        edits.question_update(source, "tried_so_far", settings_={"min_value": 1})
    with pytest.raises(EditError, match="Only a date"):
        edits.question_update(source, "tried_so_far", settings_={"not_future": True})
    with pytest.raises(EditError, match="no setting"):
        edits.question_update(source, "tried_so_far", settings_={"colour": "red"})
    with pytest.raises(EditError, match="no text"):
        edits.question_update(source, "tried_so_far", texts={"title": {"en": "x"}})
    with pytest.raises(EditError, match="no question"):
        edits.question_update(source, "phq9_1", texts={"label": {"en": "x"}})


def test_a_question_is_moved_and_removed(source: dict[str, Any]) -> None:
    changed = edits.question_move(source, "tried_so_far", edits.UP)
    assert _ids(changed, 1)[4:6] == ["tried_so_far", "affects_relationships"]
    changed = edits.question_move(changed, "tried_so_far", edits.DOWN)
    assert _ids(changed, 1) == _ids(source, 1)
    changed = edits.question_move_to_section(changed, "tried_so_far", "health")
    assert _ids(changed, 5)[-1] == "tried_so_far" and "tried_so_far" not in _ids(changed, 1)
    changed = edits.question_remove(changed, "tried_so_far")
    assert "tried_so_far" not in edits.every_id(changed)
    with pytest.raises(EditError, match="already in that section"):
        edits.question_move_to_section(source, "tried_so_far", "what_brings_you")
    with pytest.raises(EditError, match="already first"):
        edits.question_move(source, "legal_name", edits.UP)


def test_a_group_question_is_moved_within_its_group(source: dict[str, Any]) -> None:
    group = edits.find_question(source, "important_people")
    first, second = (child["id"] for child in group["questions"][:2])
    changed = edits.question_move(source, second, edits.UP)
    assert [c["id"] for c in edits.find_question(changed, "important_people")[
        "questions"][:2]] == [second, first]
    with pytest.raises(EditError, match="not of a group"):
        edits.question_move_to_section(source, first, "health")


# --- Options ----------------------------------------------------------------------------


def test_options_are_added_reworded_moved_and_removed(source: dict[str, Any]) -> None:
    changed = edits.option_add(source, "heard_about_us", value="podcast",
                               label={"en": "A podcast", "es": "Un pódcast"})
    options = edits.find_question(changed, "heard_about_us")["options"]
    assert options[-1] == {"value": "podcast", "label": {"en": "A podcast", "es": "Un pódcast"}}
    changed = edits.option_update(changed, "heard_about_us", "podcast",
                                  label={"en": "Podcast"})
    changed = edits.option_move(changed, "heard_about_us", "podcast", edits.UP)
    options = edits.find_question(changed, "heard_about_us")["options"]
    assert options[-2] == {"value": "podcast", "label": {"en": "Podcast"}}
    changed = edits.option_remove(changed, "heard_about_us", "podcast")
    assert changed == source


def test_option_refusals(source: dict[str, Any]) -> None:
    first = edits.find_question(source, "heard_about_us")["options"][0]["value"]
    with pytest.raises(EditError, match="already has"):
        edits.option_add(source, "heard_about_us", value=first, label={"en": "Again"})
    with pytest.raises(EditError, match="lower-case"):
        edits.option_add(source, "heard_about_us", value="Bad Value", label={"en": "x"})
    with pytest.raises(EditError, match="Only a choice"):
        edits.option_add(source, "tried_so_far", value="x", label={"en": "x"})
    with pytest.raises(EditError, match="Only a choice"):
        edits.option_add(source, "earlier_therapy", value="maybe", label={"en": "Maybe"})
    with pytest.raises(EditError, match="no option"):
        edits.option_remove(source, "heard_about_us", "nothing")


def test_a_choice_left_with_one_option_is_named_as_the_problem(
    source: dict[str, Any],
) -> None:
    changed = source
    for option in edits.find_question(source, "since_when")["options"][1:]:
        changed = edits.option_remove(changed, "since_when", option["value"])
    assert "since_when" in (_problem(changed) or "")
    assert "two options" in (_problem(changed) or "")


# --- Conditions -------------------------------------------------------------------------


def test_conditions_are_set_and_cleared(source: dict[str, Any]) -> None:
    changed = edits.condition_set(source, "tried_so_far", on="since_when", kind="in",
                                  values=[o["value"] for o in edits.find_question(
                                      source, "since_when")["options"][:2]])
    assert set(edits.find_question(changed, "tried_so_far")["condition"]) == {"question", "in"}
    assert _problem(changed) is None
    changed = edits.condition_set(changed, "tried_so_far", on="earlier_therapy",
                                  kind="equals", values=["yes"])
    assert "not an earlier top-level question" in (_problem(changed) or "")
    changed = edits.condition_set(changed, "tried_so_far", on="in_your_own_words",
                                  kind="answered")
    assert edits.find_question(changed, "tried_so_far")["condition"] == {
        "question": "in_your_own_words", "answered": True}
    assert "condition" not in edits.find_question(
        edits.condition_clear(changed, "tried_so_far"), "tried_so_far")


def test_condition_refusals(source: dict[str, Any]) -> None:
    with pytest.raises(EditError, match="not an answer"):
        edits.condition_set(source, "tried_so_far", on="earlier_therapy", kind="equals",
                            values=["perhaps"])
    with pytest.raises(EditError, match="not an answer"):
        edits.condition_set(source, "tried_so_far", on="in_your_own_words", kind="equals",
                            values=["x"])
    with pytest.raises(EditError, match="Choose the answer"):
        edits.condition_set(source, "tried_so_far", on="earlier_therapy", kind="in",
                            values=[])
    with pytest.raises(EditError, match="its own answer"):
        edits.condition_set(source, "tried_so_far", on="tried_so_far", kind="answered")
    with pytest.raises(EditError, match="not of a group"):
        edits.condition_set(source, "tried_so_far", on="nowhere", kind="answered")
    with pytest.raises(EditError, match="Choose when"):
        edits.condition_set(source, "tried_so_far", on="since_when", kind="sometimes")


# --- Locks ------------------------------------------------------------------------------


@pytest.mark.parametrize("question_id", ["legal_name", "date_of_birth", "phone",
                                         "emergency_contact_name",
                                         "thoughts_of_ending_life_now"])
def test_a_locked_question_keeps_its_meaning_and_takes_new_words(
    source: dict[str, Any], question_id: str,
) -> None:
    reason = edits.locked_reason(source, question_id)
    assert reason and "adjust its wording" in reason
    for change in (
        lambda: edits.question_remove(source, question_id),
        lambda: edits.question_update(source, question_id, new_id="renamed"),
        lambda: edits.question_set_required(
            source, question_id, not edits.find_question(source, question_id).get("required")),
        lambda: edits.condition_set(source, question_id, on="in_your_own_words",
                                    kind="answered"),
        lambda: edits.condition_clear(source, question_id),
    ):
        with pytest.raises(EditError, match="adjust its wording"):
            change()
    changed = edits.question_update(source, question_id, texts={
        "label": {"en": "Reworded", "es": "Otra redacción"}})
    assert edits.find_question(changed, question_id)["label"] == {
        "en": "Reworded", "es": "Otra redacción"}
    assert _problem(changed) is None
    # Moving keeps its meaning too.
    assert edits.question_move_to_section(source, question_id, "health")


def test_the_reasons_name_what_is_locked(source: dict[str, Any]) -> None:
    assert edits.locked_reason(source, "date_of_birth") == (
        "This question fills in the client's date of birth on file, so it can't be removed "
        "or changed in meaning; you can adjust its wording.")
    assert "safety" in (edits.locked_reason(source, "thoughts_of_ending_life_now") or "")
    assert edits.locked_reason(source, "pronouns") is not None  # a profile field too
    assert edits.locked_reason(source, "tried_so_far") is None
    assert "PHQ-9" in edits.block_reason("phq9")


def test_a_safety_questions_options_are_locked(source: dict[str, Any]) -> None:
    source["safety"].append({"question": "self_harm", "answered": True})
    value = edits.find_question(source, "self_harm")["options"][0]["value"]
    with pytest.raises(EditError, match="safety"):
        edits.option_remove(source, "self_harm", value)
    with pytest.raises(EditError, match="safety"):
        edits.option_add(source, "self_harm", value="new_one", label={"en": "New"})
    changed = edits.option_update(source, "self_harm", value, label={"en": "Reworded"})
    assert edits.find_question(changed, "self_harm")["options"][0]["label"] == {
        "en": "Reworded"}


# --- Instrument blocks ------------------------------------------------------------------


def test_an_instrument_block_is_inserted_moved_and_removed_whole(
    source: dict[str, Any],
) -> None:
    changed = edits.instrument_remove(source, "gad7")
    assert {"ref": "gad7"} not in changed["instruments"]
    assert "instrument:gad7" not in _ids(changed, 2)
    assert _problem(changed) is None
    changed = edits.instrument_insert(changed, section_id="health", slug="gad7")
    assert _ids(changed, 5)[-1] == "instrument:gad7"
    assert {"ref": "gad7"} in changed["instruments"]
    changed = edits.question_move(changed, "instrument:gad7", edits.UP)
    assert _ids(changed, 5)[-2] == "instrument:gad7"
    changed = edits.question_move_to_section(changed, "instrument:gad7", "feelings")
    assert _ids(changed, 2) == ["instrument:phq9", "instrument:gad7"]
    assert _problem(changed) is None


def test_instrument_refusals(source: dict[str, Any]) -> None:
    with pytest.raises(EditError, match="already asks"):
        edits.instrument_insert(source, section_id="health", slug="phq9")
    with pytest.raises(EditError, match="from the list"):
        edits.instrument_insert(source, section_id="health", slug="../../etc/passwd")
    with pytest.raises(EditError, match="does not ask"):
        edits.instrument_remove(source, "csi4")
    with pytest.raises(EditError, match="no question"):
        edits.question_remove(source, "phq9_1")
    with pytest.raises(EditError, match="no question"):
        edits.question_update(source, "gad7_1", texts={"label": {"en": "x"}})


def test_a_section_is_shown_on_a_condition(source: dict[str, Any]) -> None:
    changed = edits.section_condition_set(source, "health", on="earlier_therapy",
                                          kind="equals", values=["yes"])
    assert changed["sections"][5]["condition"] == {"question": "earlier_therapy",
                                                   "equals": "yes"}
    assert _problem(changed) is None
    assert "condition" not in edits.section_condition_clear(changed, "health")["sections"][5]
    with pytest.raises(EditError, match="always asked"):
        edits.section_condition_set(source, "safety", on="in_your_own_words",
                                    kind="answered")
    with pytest.raises(EditError, match="always asked"):
        edits.section_condition_set(source, "about_you", on="in_your_own_words",
                                    kind="answered")


def test_the_questionnaires_own_words_change(source: dict[str, Any]) -> None:
    changed = edits.questionnaire_update(source, texts={
        "title": {"en": "Welcome", "es": "Bienvenida"}, "intro": {"en": "", "es": ""}})
    assert changed["title"] == {"en": "Welcome", "es": "Bienvenida"}
    assert "intro" not in changed
    assert _problem(changed) is None
    with pytest.raises(EditError, match="English text is required"):
        edits.questionnaire_update(source, texts={"title": {"en": "", "es": "Hola"}})
    with pytest.raises(EditError, match="no text"):
        edits.questionnaire_update(source, texts={"label": {"en": "x"}})


def test_a_locked_question_is_not_moved_into_a_section_shown_only_sometimes(
    source: dict[str, Any],
) -> None:
    changed = edits.section_condition_set(source, "health", on="earlier_therapy",
                                          kind="answered")
    with pytest.raises(EditError, match="always asked"):
        edits.question_move_to_section(changed, "thoughts_of_ending_life_now", "health")
    assert edits.question_move_to_section(changed, "keeps_you_safe", "health")
