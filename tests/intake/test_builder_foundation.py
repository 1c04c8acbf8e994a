"""The questionnaire builder's foundation: drafts started from a published version, saved
safely against a second tab, checked by the strict parser, published through the one path
the shipped questionnaires take, and chosen per kind of intake. A client who started on an
older version finishes on it; a new intake starts on the newest chosen one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from intake.builder.assignments import (
    AssignmentError,
    newest_version,
    newest_versions,
    questionnaire_assign,
    version_for,
)
from intake.builder.drafts import (
    StaleDraft,
    draft_discard,
    draft_problem,
    draft_publish,
    draft_save,
    draft_start,
)
from intake.definitions import DEFAULT_FILE, read_source
from intake.models import (
    ImmutableVersionError,
    IntakeKind,
    QuestionnaireDraft,
    QuestionnaireVersion,
    VersionOrigin,
)
from intake.schema import DefinitionError
from intake.services import intake_start
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import User
from portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_QUESTION = {"id": "what_brings_you_now", "type": "long_text",
                "label": {"en": "What made you reach out now?",
                          "es": "¿Qué le llevó a buscar ayuda ahora?"},
                "required": False, "max_length": 2000}


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action.value).order_by("seq"))


def _with_new_question(source: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(source)
    changed["sections"][0]["questions"].append(NEW_QUESTION)
    return changed


def _question_ids(version: QuestionnaireVersion) -> set[str]:
    return {question.id for section in version.questionnaire.sections
            for question in section.questions}


def test_a_shipped_questionnaire_is_published_through_the_same_path(
    client_user: User,
) -> None:
    intake = intake_start(client=client_user)
    version = intake.questionnaire
    assert version.origin == VersionOrigin.SHIPPED
    assert version.source == read_source(DEFAULT_FILE)  # as written, blocks as references
    assert {"instrument": "phq9"} in [question for section in version.source["sections"]
                                      for question in section["questions"]]
    (published,) = _events(Action.QUESTIONNAIRE_PUBLISHED)
    assert published.detail == {"slug": "default-intake", "version": version.version,
                                "origin": "shipped"}
    assert published.actor_id is None
    intake_start(client=UserFactory(role=Role.CLIENT))  # already stored: not again
    assert len(_events(Action.QUESTIONNAIRE_PUBLISHED)) == 1


def test_a_draft_of_a_shipped_questionnaire_is_the_practices_own(admin_user: User) -> None:
    shipped = version_for(IntakeKind.INDIVIDUAL)
    draft = draft_start(version=shipped, actor=admin_user)
    assert draft.slug == "default-intake-practice"
    assert draft.source["version"] == "1"
    assert draft.based_on == shipped
    assert draft_problem(draft) is None
    # One draft per questionnaire: starting again opens the same one.
    assert draft_start(version=shipped, actor=admin_user).pk == draft.pk
    (started,) = _events(Action.QUESTIONNAIRE_DRAFT_STARTED)
    assert started.detail == {"slug": "default-intake-practice",
                              "based_on": f"default-intake:{shipped.version}"}


def test_a_save_from_a_second_tab_is_refused_and_overwrites_nothing(admin_user: User) -> None:
    draft = draft_start(version=version_for(IntakeKind.INDIVIDUAL), actor=admin_user)
    first_tab = draft.revision
    draft = draft_save(draft=draft, source=_with_new_question(draft.source), revision=first_tab)
    assert draft.revision == first_tab + 1
    with pytest.raises(StaleDraft):
        draft_save(draft=draft, source=read_source(DEFAULT_FILE), revision=first_tab)
    draft.refresh_from_db()
    assert NEW_QUESTION in draft.source["sections"][0]["questions"]
    # Whatever a save sends, the draft keeps its own slug and number.
    hostile = {**draft.source, "slug": "default-intake", "version": "2"}
    draft = draft_save(draft=draft, source=hostile, revision=draft.revision)
    assert (draft.source["slug"], draft.source["version"]) == ("default-intake-practice", "1")


def test_a_condition_on_a_later_question_is_named_and_cannot_be_published(
    admin_user: User,
) -> None:
    draft = draft_start(version=version_for(IntakeKind.INDIVIDUAL), actor=admin_user)
    source = copy.deepcopy(draft.source)
    later = source["sections"][-1]["questions"][-1]["id"]
    source["sections"][0]["questions"].insert(0, {
        **NEW_QUESTION, "condition": {"question": later, "answered": True}})
    draft = draft_save(draft=draft, source=source, revision=draft.revision)

    problem = draft_problem(draft)
    assert problem is not None and later in problem
    with pytest.raises(DefinitionError):
        draft_publish(draft=draft, actor=admin_user)
    assert QuestionnaireDraft.objects.filter(pk=draft.pk).exists()
    assert not QuestionnaireVersion.objects.filter(slug="default-intake-practice").exists()


def test_publishing_makes_an_immutable_version_and_only_new_intakes_start_on_it(
    admin_user: User, client_user: User,
) -> None:
    midway = intake_start(client=client_user)  # started on the shipped version
    old = midway.questionnaire
    draft = draft_start(version=old, actor=admin_user)
    draft = draft_save(draft=draft, source=_with_new_question(draft.source),
                       revision=draft.revision)

    version = draft_publish(draft=draft, actor=admin_user, use_for=(IntakeKind.INDIVIDUAL,))

    assert (version.slug, version.version, version.origin) == (
        "default-intake-practice", "1", VersionOrigin.PRACTICE)
    assert version.based_on == old and version.published_by == admin_user
    assert not QuestionnaireDraft.objects.exists()
    with pytest.raises(ImmutableVersionError):
        version.save()
    published = _events(Action.QUESTIONNAIRE_PUBLISHED)[-1]
    assert published.detail == {"slug": "default-intake-practice", "version": "1",
                                "origin": "practice"}
    assert "What made you reach out" not in json.dumps(published.detail)
    (assigned,) = _events(Action.QUESTIONNAIRE_ASSIGNED)
    assert assigned.detail == {"kind": "individual", "slug": "default-intake-practice",
                               "previous": "default-intake"}

    # The client half-way through keeps the version they started on.
    midway.refresh_from_db()
    assert intake_start(client=client_user).pk == midway.pk
    assert midway.questionnaire == old
    assert "what_brings_you_now" not in _question_ids(old)
    # A new client starts on the new one.
    newcomer = intake_start(client=UserFactory(role=Role.CLIENT))
    assert newcomer.questionnaire == version
    assert "what_brings_you_now" in _question_ids(version)

    # The next draft of the practice's questionnaire continues its numbers.
    again = draft_start(version=version, actor=admin_user)
    assert (again.slug, again.source["version"]) == ("default-intake-practice", "2")


def test_a_questionnaire_is_chosen_only_for_the_kind_it_is_written_for(
    admin_user: User,
) -> None:
    couple = version_for(IntakeKind.PARTNER)
    with pytest.raises(AssignmentError):
        questionnaire_assign(kind=IntakeKind.INDIVIDUAL, slug=couple.slug, actor=admin_user)
    with pytest.raises(AssignmentError):
        questionnaire_assign(kind=IntakeKind.INDIVIDUAL, slug="never-published",
                             actor=admin_user)
    assert version_for(IntakeKind.INDIVIDUAL).slug == "default-intake"
    assert not _events(Action.QUESTIONNAIRE_ASSIGNED)


def test_a_discarded_draft_changes_nothing_published(admin_user: User) -> None:
    shipped = version_for(IntakeKind.INDIVIDUAL)
    draft = draft_start(version=shipped, actor=admin_user)
    draft_discard(draft=draft, actor=admin_user)
    assert not QuestionnaireDraft.objects.exists()
    assert version_for(IntakeKind.INDIVIDUAL) == shipped
    (discarded,) = _events(Action.QUESTIONNAIRE_DRAFT_DISCARDED)
    assert discarded.detail == {"slug": "default-intake-practice"}


def test_only_practice_admins_may_manage_questionnaires(
    admin_user: User, clinician_user: User, client_user: User,
) -> None:
    assert admin_user.has_perm("portal.manage_questionnaires")
    assert not clinician_user.has_perm("portal.manage_questionnaires")
    assert not client_user.has_perm("portal.manage_questionnaires")


def test_the_newest_version_of_each_questionnaire_is_found_by_number(admin_user: User) -> None:
    shipped = version_for(IntakeKind.INDIVIDUAL)
    version_for(IntakeKind.PARTNER)
    for _ in range(2):
        draft = draft_start(version=newest_version("default-intake-practice") or shipped,
                            actor=admin_user)
        draft_publish(draft=draft, actor=admin_user)
    newest = {version.slug: version.version for version in newest_versions()}
    assert newest == {"default-intake": shipped.version, "couple-intake": "2",
                      "default-intake-practice": "2"}
    practice = newest_version("default-intake-practice")
    assert practice is not None and practice.version == "2"
