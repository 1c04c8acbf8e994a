"""Hostile input to every form: random and hand-picked unicode (NUL, control characters,
right-to-left marks, emoji, lone surrogates as raw bytes, 100,000-character strings), lists
where one value belongs, missing and extra fields, JSON and plain-text bodies, and hostile
user agents. Whatever arrives, the portal answers without a server error and stores
nothing its own rules would refuse; and a post without its CSRF token is refused (403)
and changes nothing.

The endpoints come from the URL conf: ``test_every_form_endpoint_is_fuzzed`` fails when a
view that takes a POST is missing from ``FORMS``. Each endpoint gets its own short
Hypothesis run against one world of people (signing in is the slow part); every example's
writes are rolled back (``tests.hostile.rolled_back``), so each starts from the same state.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.core.validators import validate_email
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clients.forms import ClientSearchForm
from clients.search import client_search
from clients.views.care_team import ErasureForm
from consents.authorizations import LIMITS, authorization_errors
from consents.forms import AuthorizationForm, SignForm, WithdrawForm
from consents.forms_staff import OutstandingFilterForm, RequirementForm, VersionForm
from consents.models import ConsentDocument, ConsentVersion, Requirement
from consents.register import ATTENTION_STATES
from consents.services import SigningError, check_signing, consent_withdraw
from intake.answers import clean_section
from intake.definitions import read_definition
from intake.forms import LISTED_FIELD, group_field_name, in_person_name
from intake.forms_staff import AcknowledgementForm
from intake.models import ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, Intake
from intake.schema import TEXT_TYPES, Question, Questionnaire, Section, parse_definition
from intake.views.client import ACTIONS
from measures.caseload import SORTS
from portal.audit.actions import ACTIONS as AUDIT_ACTIONS
from portal.audit.forms import AuditFilterForm
from portal.audit.selectors import events_visible_to, filter_events
from portal.forms import DOCUMENT_TEXT_SETTINGS, InvitationForm, PracticeSettingsForm
from portal.input_checks import (
    REPEATED_FIELD_MESSAGE,
    UNREADABLE_MESSAGE,
    SingleValueFieldsMixin,
)
from portal.models import Guardianship, PracticeSettings
from tests.factories import PASSWORD
from tests.hostile import (
    BAD_BYTES,
    BOUNDARY,
    FUZZ,
    HUGE,
    NASTY,
    QUIET_TABLES,
    Hostile,
    World,
    accepts_post,
    build_world,
    db_changes,
    db_snapshot,
    hostile_request,
    intake_problems,
    multipart_with,
    name_problems,
    our_routes,
    replacement_characters,
    rolled_back,
    routes,
    send,
    stored_problems,
    text_problem,
    urlencoded_with,
    written_tables,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    """One form: its URL, who sends it, and the values a browser would plausibly post
    (Hypothesis mixes them with hostile ones, so examples also get past the first check)."""

    url_name: str
    who: str
    args: Callable[[World], list[Any]] = lambda world: []
    fields: Callable[[World], dict[str, list[str]]] = lambda world: {}
    method: str = "post"
    label: str = ""
    # Whether an example may be sent at all (erasure: never the right email).
    allowed: Callable[[World, Hostile], bool] = lambda world, hostile: True

    @property
    def key(self) -> str:
        return f"{self.url_name}:{self.label}" if self.label else self.url_name


# --- The plausible values of each form -----------------------------------------------------


def _client_a_id(world: World) -> list[Any]:
    return [world.people["client"].id]


def _fresh_check_in(world: World) -> Any:
    from measures.models import CheckIn

    return CheckIn.objects.get(pk=world.objects["check_in"].pk)


def _check_in_fields(world: World) -> dict[str, list[str]]:
    """The PHQ-9 page of a check-in: each item's choices, "decline", the revision."""
    fields = {f"phq9_{n}": ["0", "1", "3", "4", "x"] for n in range(1, 10)}
    return {**fields, "action": ["next", "back", "decline"],
            "revision": [str(_fresh_check_in(world).revision)]}


def _question_values(question: Question) -> list[str]:
    values = [str(option.value) for option in question.options]
    if question.sensitive:
        values.append("in_person")
    if question.type in TEXT_TYPES:
        values += ["Some words about it", "Line one\r\nLine two"]
    if question.type == "date":
        values += ["1990-04-21", "2001-12-31"]
    if question.type == "number":
        values += [str(question.min_value), str(question.max_value)]
    return values


def _section_fields(world: World, section: Section) -> dict[str, list[str]]:
    draft = world.objects["draft_intake"]
    fields: dict[str, list[str]] = {
        LISTED_FIELD: [question.id for question in section.questions],
        "revision": [str(draft.revision)],
        "action": list(ACTIONS),
    }
    for question in section.questions:
        if question.type == "group":
            for number in (1, 2, 9):
                for child in question.questions:
                    fields[group_field_name(question.id, number, child.id)] = \
                        _question_values(child)
            continue
        fields[question.id] = _question_values(question)
        if question.sensitive and question.type in TEXT_TYPES:
            fields[in_person_name(question.id)] = ["on"]
    return fields


def _sections(world: World) -> tuple[Section, ...]:
    return world.objects["draft_intake"].questionnaire.questionnaire.sections


def _autosave_fields(world: World) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {"section": [s.id for s in _sections(world)]}
    for section in _sections(world):
        fields.update(_section_fields(world, section))
    return fields


def _sign_fields(world: World) -> dict[str, list[str]]:
    version = world.objects["consent_version"]
    return {"typed_name": ["Robin Example", "Robin  Example "], "agreed": ["on"],
            "on_behalf": ["on"], "representative_name": ["Sam Parent"],
            "representative_authority": ["Parent"], "sha256": [version.sha256]}


def _authorization_fields(world: World) -> dict[str, list[str]]:
    version = world.objects["release_version"]
    return {
        "information": ["My session dates"], "includes_substance_use": ["on"],
        "substance_use_information": ["Dates of attendance and diagnosis", "all records"],
        "discloser": ["Our practice"], "recipient": ["Dr Recipient"],
        "purpose": ["At my request"], "expires_on": ["2031-06-30", "2020-01-01", "9999-12-31"],
        "expiry_event": ["When my treatment ends"], "submission": [str(uuid.uuid4())],
        "typed_name": ["Robin Example"], "agreed": ["on"], "sha256": [version.sha256],
        "on_behalf": ["on"], "representative_name": ["Sam Parent"],
        "representative_authority": ["Parent"],
    }


def _guardianship(world: World) -> Guardianship:
    """Client A's guardianship of their ward (``tests.access_matrix.consent_objects``)."""
    return Guardianship.objects.get(guardian__person=world.people["client"])


def _ids(world: World, *names: str) -> list[str]:
    return [str(world.people[name].pk) for name in names]


def _version_fields(world: World) -> dict[str, list[str]]:
    return {"summary": ["A short summary."], "body": ["# Heading\n\nSome **text**."],
            "effective_date": ["2030-01-01", "9999-12-31"], "change_note": ["Typos."],
            "material_change": ["on"]}


def _not_the_clients_email(world: World, hostile: Hostile) -> bool:
    """Erasure is fuzzed with wrong emails only: an example that could match client A's
    email (in any form the view might tidy it to) is never sent."""
    email = world.people["client"].email.casefold()
    values = hostile.data.get("confirm_email", "")
    values = values if isinstance(values, list) else [values]
    return not any(isinstance(v, str) and email in v.casefold() for v in values)


def _practice_fields(world: World) -> dict[str, list[str]]:
    return {"name": ["Riverside Counselling"], "contact_email": ["desk@example.com"],
            "contact_phone": ["+1 555 0100"], "address": ["1 Main St"],
            "crisis_text": ["Call 988."], "self_signup_enabled": ["on"],
            "idle_timeout_minutes": ["5", "120", "4", "121", "32768"],
            "safety_alert_draft_hours": ["1", "168", "0", "169", "32768"],
            "intake_reminders_enabled": ["on"],
            "intake_reminder_after_days": ["3", "1", "30", "0", "31", "32768"],
            "intake_reminder_every_days": ["4", "1", "30", "0", "31"],
            "intake_reminder_max": ["3", "1", "10", "0", "11"],
            "consent_expiry_reminder_days": ["14", "1", "90", "0", "91"],
            "secrets_policy": ["no_secrets", "limited_secrets", "all_secrets"],
            "adolescent_account_age": ["12", "10", "17", "9", "18"],
            "session_fee": ["$150", "[amount]", "free\nof charge"],
            "session_minutes": ["50", "9", "241", "32768"],
            "insurance_networks": ["not in network with any insurance plans"]}


def _audit_filters(world: World) -> dict[str, list[str]]:
    return {"client": _ids(world, "client", "other_client"),
            "actor": _ids(world, "admin", "clinician"),
            "action": [action.value for action in AUDIT_ACTIONS][:5],
            "date_from": ["2020-01-01", "0001-01-01", "9999-12-31"],
            "date_to": ["2020-01-02", "0001-01-01", "9999-12-31"],
            "page": ["1", "2", "-1", "last", "0"]}


def _draft_section_args(section_id: str) -> Callable[[World], list[Any]]:
    """The URL arguments of one section of the world's draft intake."""
    return lambda world: [world.objects["draft_intake"].id, section_id]


def _draft_section_fields(section_id: str) -> Callable[[World], dict[str, list[str]]]:
    """The plausible fields of one section of the world's draft intake."""
    return lambda world: _section_fields(
        world, world.objects["draft_intake"].questionnaire.questionnaire.section(section_id))


def _always(fields: dict[str, list[str]]) -> Callable[[World], dict[str, list[str]]]:
    """Fields that are the same in every world."""
    return lambda world: fields


CLIENT_FORMS = [
    # The language buttons: any code, any return address (only a spoken code and a path
    # of this site are taken).
    Endpoint("choose_language", "client", fields=lambda w: {
        "language": ["es", "en", "xx", ""],
        "next": ["/", "/intake/", "https://evil.example.org/", "//evil.example.org"]}),
    Endpoint("intake_home", "client"),
    *(Endpoint("intake_section", "client", label=section_id,
               args=_draft_section_args(section_id), fields=_draft_section_fields(section_id))
      for section_id in ("about_you", "what_brings_you", "feelings", "safety",
                         "relationships", "health", "practicalities")),
    Endpoint("intake_autosave", "client", lambda w: [w.objects["draft_intake"].id],
             _autosave_fields),
    Endpoint("intake_submit", "client", lambda w: [w.objects["draft_intake"].id],
             lambda w: {"revision": [str(w.objects["draft_intake"].revision)]}),
    # Check-ins (issue 18): the PHQ-9 page of client A's open check-in, its autosave, its
    # sending and the reminders' switch.
    Endpoint("measures_check_in_page", "client",
             lambda w: [w.objects["check_in"].id, "phq9"], _check_in_fields),
    Endpoint("measures_check_in_autosave", "client", lambda w: [w.objects["check_in"].id],
             lambda w: {**_check_in_fields(w), "instrument": ["phq9", "gad7", ""]}),
    Endpoint("measures_check_in_send", "client", lambda w: [w.objects["check_in"].id],
             lambda w: {"revision": [str(_fresh_check_in(w).revision)]}),
    Endpoint("measures_check_in_reminders", "client",
             lambda w: [w.objects["check_in_schedule"].id],
             lambda w: {"action": ["pause", "resume", ""]}),
    Endpoint("consent_sign", "client", lambda w: [w.objects["consent_version"].id],
             _sign_fields),
    Endpoint("consent_sign", "client", lambda w: [w.objects["release_version"].id],
             _authorization_fields, label="authorization"),
    # A couple's joint release, the first partner filling it in (issue 17).
    Endpoint("consent_joint_sign", "client", lambda w: [w.objects["joint_release"].id],
             _authorization_fields),
    # A guardian signing for their child (issue 17).
    Endpoint("consent_sign_for_child", "client",
             lambda w: [w.objects["ward"].id, w.objects["consent_version"].id],
             _sign_fields),
    Endpoint("consent_withdraw", "client", lambda w: [w.objects["signature"].id],
             lambda w: {"reason": ["I changed my mind."]}),
    Endpoint("consent_withdraw", "client", lambda w: [w.objects["authorization"].id],
             lambda w: {"reason": ["I changed my mind."]}, label="authorization"),
    # Couples and families (issue 17): the client's couple case and their guardianship.
    Endpoint("intake_case_home", "client", lambda w: [w.objects["couple_case"].id]),
    Endpoint("guardianship_confirm", "client", lambda w: [_guardianship(w).id],
             lambda w: {"confirm": ["on", "off", ""]}),
    Endpoint("session_keepalive", "client"),
    Endpoint("record_access", "client", fields=lambda w: {"page": ["1", "2", "-1"]},
             method="get"),
    Endpoint("client_details", "client", fields=lambda w: {
        "legal_name": ["Robin Example", "R"], "preferred_name": ["Rob"],
        "pronouns": ["they/them"], "date_of_birth": ["1990-04-21", "1899-12-31"],
        "phone": ["+1 (555) 010-0123", "555 0199 ext 2"], "address": ["1 Main St"],
        "emergency_contact_name": ["Sam Example"],
        "emergency_contact_phone": ["555 0100"]}),
]

STAFF_FORMS = [
    Endpoint("client_list", "admin", fields=lambda w: {
        "q": ["Robin Example", "1990-04-21", "04/21/1990", "555 0100", "1990-02-30"],
        "by": ["auto", "name", "date_of_birth", "phone"]}),
    Endpoint("client_list", "clinician", fields=lambda w: {"page": ["1", "2", "x"]},
             method="get", label="page"),
    Endpoint("care_team_add", "admin", lambda w: [w.people["client"].id],
             lambda w: {"clinician": _ids(w, "clinician", "other_clinician", "admin",
                                          "other_client")}),
    Endpoint("care_team_remove", "admin", lambda w: [w.people["client"].id],
             lambda w: {"clinician": _ids(w, "clinician", "other_clinician", "admin")}),
    Endpoint("client_erase", "admin", lambda w: [w.people["client"].id],
             lambda w: {"confirm_email": ["other.client@example.com", "client@example.org"]},
             allowed=_not_the_clients_email),
    Endpoint("practice_settings", "admin", fields=_practice_fields),
    Endpoint("staff_name", "clinician", fields=lambda w: {
        "display_name": ["Dr. Sam Rivera", "Sam (practice manager)"]}),
    Endpoint("invitation_list", "admin", fields=lambda w: {
        "email": ["new.person@example.com", "invitee@example.com", "client@example.com",
                  '"<script>"@example.com', "=1+2@example.com"]}),
    Endpoint("invitation_resend", "admin", lambda w: [w.objects["invitation"].id]),
    # Building couple and family cases (issue 17).
    Endpoint("case_new", "admin", fields=lambda w: {
        "kind": ["couple", "family", "individual"],
        "secrets_policy": ["", "no_secrets", "limited_secrets"]}),
    Endpoint("case_invite", "admin", lambda w: [w.objects["couple_case"].id],
             lambda w: {"email": ["new.partner@example.com", "client@example.com",
                                  "clinician@example.com"],
                        "role": ["partner", "adolescent", "child"],
                        "date_of_birth": ["2012-01-01", "2030-01-01", "1899-12-31"]}),
    Endpoint("case_child_add", "admin", lambda w: [_guardianship(w).case_id],
             lambda w: {"legal_name": ["Sam Child", "S"],
                        "date_of_birth": ["2019-05-04", "1990-01-01", "2099-01-01"]}),
    Endpoint("case_guardian_link", "admin", lambda w: [_guardianship(w).case_id],
             lambda w: {"guardian": [str(_guardianship(w).guardian_id)],
                        "minor": [str(_guardianship(w).minor_id)],
                        "relationship": ["Mother", "Aunt"],
                        "legal_authority": ["Joint legal custody"],
                        "signs_for_child": ["on", ""]}),
    Endpoint("case_care_team_add", "admin", lambda w: [w.objects["couple_case"].id],
             lambda w: {"clinician": _ids(w, "clinician", "admin", "client")}),
    Endpoint("case_care_team_remove", "admin", lambda w: [w.objects["couple_case"].id],
             lambda w: {"clinician": _ids(w, "clinician", "admin")}),
    Endpoint("consent_joint_release", "admin", lambda w: [w.objects["couple_case"].id]),
    Endpoint("consent_countersign", "clinician", lambda w: [w.objects["signature"].id]),
    Endpoint("invitation_revoke", "admin", lambda w: [w.objects["invitation"].id]),
    Endpoint("consent_remind", "admin", fields=lambda w: {
        "only": _ids(w, "client", "other_client", "admin"),
        "client": _ids(w, "client", "other_client"),
        "document": [str(d.pk) for d in ConsentDocument.objects.all()[:3]],
        "state": list(ATTENTION_STATES)}),
    Endpoint("consent_outstanding", "admin", method="get", fields=lambda w: {
        "document": [str(d.pk) for d in ConsentDocument.objects.all()[:3]],
        "state": list(ATTENTION_STATES), "page": ["1", "2", "0", "last"]}),
    Endpoint("consent_document_requirement", "admin",
             lambda w: [w.objects["consent_document"].id],
             lambda w: {"requirement": list(Requirement.values)}),
    Endpoint("consent_version_new", "admin", lambda w: [w.objects["consent_document"].id],
             _version_fields),
    Endpoint("consent_version_edit", "admin", lambda w: [w.objects["draft_version"].id],
             _version_fields),
    Endpoint("consent_version_publish", "admin", lambda w: [w.objects["draft_version"].id]),
    # The questionnaire builder (issue 20): publishing a draft, choosing per kind, and the
    # preview's choices (a GET: language and answers, nothing stored).
    Endpoint("questionnaire_draft_publish", "admin",
             lambda w: [w.objects["questionnaire_draft"].id],
             lambda w: {"use_for": ["individual", "partner", "adult", "adolescent", ""]}),
    Endpoint("questionnaire_use", "admin", fields=lambda w: {
        "kind": ["individual", "partner", "adult", "adolescent"],
        "slug": ["default-intake", "couple-intake", "family-intake", "nowhere"]}),
    Endpoint("questionnaire_draft_preview", "admin",
             lambda w: [w.objects["questionnaire_draft"].id], method="get",
             fields=lambda w: {"lang": ["en", "es", "fr"],
                               "a-heard_about_us": ["other", "friend_or_family", "x"],
                               "a-earlier_therapy": ["yes", "no"]}),
    # A FHIR import: fields that are not files (the uploads themselves are hostile in
    # tests/intake/test_builder_fhir.py): the form says to choose a file, nothing stored.
    Endpoint("questionnaire_fhir_import", "admin",
             fields=_always({"file": ['{"resourceType": "Questionnaire"}', ""]})),
    Endpoint("staff_intake_acknowledge", "clinician",
             lambda w: [w.objects["submitted_intake"].id],
             lambda w: {"note": ["Called the client, safety plan agreed."]}),
    Endpoint("staff_alert_acknowledge", "clinician",
             lambda w: [w.objects["check_in_alert"].id],
             lambda w: {"note": ["Called the client, safety plan agreed."]}),
    Endpoint("measures_staff_schedule", "clinician", _client_a_id,
             lambda w: {"instruments": ["phq9", "gad7", "csi4", "x"],
                        "frequency": ["weekly", "once", "daily"], "action": ["", "end"],
                        "case": ["", str(uuid.uuid4())]}),
    Endpoint("staff_intake_mark_reviewed", "clinician",
             lambda w: [w.objects["submitted_intake"].id]),
    # A hostile "case" names no case of the client's: 404, the flag untouched.
    Endpoint("measures_flag_reviewed", "clinician",
             lambda w: [w.people["client"].id, w.objects["review_flag"].id],
             fields=lambda w: {"case": ["", str(w.objects["couple_case"].id)]}),
    Endpoint("measures_caseload", "clinician", fields=lambda w: {"sort": list(SORTS)},
             method="get"),
    Endpoint("staff_intake_list", "clinician", fields=lambda w: {"page": ["1", "2", "x"]},
             method="get"),
    Endpoint("audit_log", "admin", fields=_audit_filters, method="get"),
    Endpoint("audit_log", "clinician", fields=_audit_filters, method="get",
             label="clinician"),
    Endpoint("audit_export", "admin", fields=_audit_filters, method="get"),
    Endpoint("outgoing_messages", "admin", fields=lambda w: {"page": ["1", "2", "x", "0"]},
             method="get"),
    Endpoint("outgoing_message_retry", "admin", lambda w: [w.objects["given_up_message"].id]),
    # The questionnaire builder's editor (issue 20): nothing but a checked edit is saved.
    Endpoint("builder_draft_start", "admin", lambda w: [w.objects["builder_draft"].based_on_id]),
    Endpoint("builder_draft_change", "admin", lambda w: [w.objects["builder_draft"].id],
             lambda w: {"revision": _builder_revisions(w),
                        "op": ["section_add", "section_move", "section_remove", "question_add",
                               "question_move", "question_move_to", "question_remove",
                               "instrument_insert", "x"],
                        "section": ["health", "about_you", "nowhere"],
                        "key": ["tried_so_far", "legal_name", "instrument:phq9", "phq9_1"],
                        "direction": ["up", "down", "sideways"],
                        "where": ["section:health", "group:important_people", "x"],
                        "type": ["short_text", "single_choice", "group", "frequency"],
                        "new_id": ["new_one", "legal_name", "Not A Slug"],
                        "instrument": ["csi4", "phq9", "../x"],
                        "label-en": ["A label", ""], "label-es": ["Una etiqueta", ""],
                        "title-en": ["A title", ""], "title-es": ["Un título", ""]}),
    Endpoint("builder_draft_texts", "admin", lambda w: [w.objects["builder_draft"].id],
             lambda w: {"revision": _builder_revisions(w), "title-en": ["Welcome", ""],
                        "title-es": ["Bienvenida", ""], "intro-en": ["Hello", ""],
                        "intro-es": ["Hola", ""]}),
    Endpoint("builder_section_edit", "admin",
             lambda w: [w.objects["builder_draft"].id, "health"],
             lambda w: {"revision": _builder_revisions(w), "id": ["health", "x", "Bad Id"],
                        "condition": ["earlier_therapy|=yes", "earlier_therapy|answered",
                                      "legal_name|=x", ""],
                        "title-en": ["Your health", ""], "title-es": ["Su salud", ""],
                        "intro-en": ["Intro", ""], "content_note-en": ["Note", ""]}),
    Endpoint("builder_question_edit", "admin",
             lambda w: [w.objects["builder_draft"].id, "heard_about_us"],
             lambda w: {"revision": _builder_revisions(w),
                        "id": ["heard_about_us", "legal_name", "Bad Id"],
                        "label-en": ["How did you hear?", ""], "label-es": ["¿Cómo?", ""],
                        "help-en": ["Help", ""], "required": ["on", ""],
                        "sensitive": ["on", ""], "new_option_value": ["podcast", "1", ""],
                        "new_option-label-en": ["A podcast", ""],
                        "option-0-label-en": ["Doctor", ""],
                        "condition": ["in_your_own_words|answered", "legal_name|answered",
                                      "since_when|=x", "nowhere|answered"],
                        "option_op": ["", "up", "down", "remove"],
                        "option": ["health_professional", "nothing"]}),
    Endpoint("builder_question_edit", "admin",
             lambda w: [w.objects["builder_draft"].id, "date_of_birth"],
             lambda w: {"revision": _builder_revisions(w), "id": ["birthday"],
                        "label-en": ["Date of birth", ""], "label-es": ["Fecha", ""],
                        "required": ["", "on"], "option_op": ["", "remove"]},
             label="locked"),
]


def _builder_revisions(world: World) -> list[str]:
    """The draft's revision as it stands (so a post gets past the staleness check), a stale
    one and nonsense."""
    world.objects["builder_draft"].refresh_from_db()
    revision = world.objects["builder_draft"].revision
    return [str(revision), str(max(revision - 1, 0)), "x", "-1"]

FORMS = CLIENT_FORMS + STAFF_FORMS


def test_every_form_endpoint_is_fuzzed() -> None:
    """A new view that takes a POST cannot ship without being fuzzed here."""
    posting = {route.name for route in our_routes() if accepts_post(route.view)}
    fuzzed = {endpoint.url_name for endpoint in FORMS if endpoint.method == "post"}
    assert posting == fuzzed


# --- Fuzzing --------------------------------------------------------------------------------


def _fuzz(world: World, endpoint: Endpoint) -> None:
    """One Hypothesis run for ``endpoint``: every example answered below 500, and nothing
    invalid stored (checked inside the example, before its writes are rolled back)."""
    http = world.http[endpoint.who]
    url = reverse(endpoint.url_name, args=endpoint.args(world))
    fields = endpoint.fields(world)
    everything_huge = Hostile(dict.fromkeys(fields, HUGE))
    every_field_a_list = Hostile({name: ["\x00", "x", ""] for name in fields})
    many_fields = Hostile({f"f{n}": "x" for n in range(1500)}, envelope="urlencoded")

    @FUZZ
    @given(hostile=hostile_request(fields))
    @example(hostile=Hostile({}))
    @example(hostile=everything_huge)
    @example(hostile=every_field_a_list)
    @example(hostile=Hostile(dict.fromkeys(fields, "\x00"), envelope="urlencoded"))
    @example(hostile=many_fields)
    def fuzz(hostile: Hostile) -> None:
        if not endpoint.allowed(world, hostile):
            return
        with rolled_back():
            with written_tables() as written:
                response = send(http, endpoint.method, url, hostile)
            assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, endpoint.key
            if written - QUIET_TABLES:
                problems = stored_problems(world)
                assert not problems, (endpoint.key, problems)

    fuzz()


def _fuzz_all(world: World, endpoints: list[Endpoint]) -> None:
    """Fuzz each endpoint in turn; a failure is reported (Hypothesis prints its smallest
    example) and the others still run, so one run names every broken form."""
    failures = []
    for endpoint in endpoints:
        try:
            _fuzz(world, endpoint)
        except Exception as error:
            failures.append(f"{endpoint.key}: {type(error).__name__}: {str(error)[:300]}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def world() -> World:
    return build_world(signed_in=("client", "clinician", "admin"))


def test_client_forms_never_fail_or_store_garbage(world: World) -> None:
    assert stored_problems(world) == []
    _fuzz_all(world, CLIENT_FORMS)


def test_staff_forms_never_fail_or_store_garbage(world: World) -> None:
    assert stored_problems(world) == []
    _fuzz_all(world, STAFF_FORMS)


# --- allauth's forms ------------------------------------------------------------------------

# (URL name, who posts, plausible fields). "fresh" is a new anonymous browser per example, so
# a sign-in or sign-out in one example cannot leak into the next.
ALLAUTH_FORMS: list[tuple[str, str, dict[str, list[str]]]] = [
    ("account_login", "fresh", {"login": ["client@example.com", "nobody@example.com"],
                                "password": [PASSWORD, "wrong"], "remember": ["on"]}),
    ("account_signup", "fresh", {"email": ["new.person@example.com"],
                                 "password1": [PASSWORD], "password2": [PASSWORD]}),
    ("account_reset_password", "fresh", {"email": ["client@example.com"]}),
    ("account_logout", "fresh", {}),
    ("mfa_authenticate", "fresh", {"code": ["123456"]}),
    ("account_reauthenticate", "client", {"password": [PASSWORD, "wrong"]}),
    ("account_change_password", "client", {"oldpassword": [PASSWORD], "password1": ["x"],
                                           "password2": ["x"]}),
    ("account_set_password", "client", {"password1": ["x"], "password2": ["x"]}),
    ("account_email", "client", {"email": ["second@example.com", "client@example.com"],
                                 "action_add": [""], "action_remove": [""],
                                 "action_primary": [""], "action_send": [""]}),
    ("mfa_activate_totp", "client", {"code": ["123456"]}),
    ("mfa_reauthenticate", "clinician", {"code": ["123456"]}),
    ("mfa_deactivate_totp", "clinician", {"code": ["123456"]}),
    ("mfa_generate_recovery_codes", "clinician", {"code": ["123456"]}),
    ("mfa_add_webauthn", "client", {"name": ["Key"], "credential": ["{}", "null"],
                                    "passwordless": ["on"]}),
]


def _fuzz_allauth(world: World, url_name: str, who: str,
                  fields: dict[str, list[str]]) -> None:
    url = reverse(url_name)

    @FUZZ
    @given(hostile=hostile_request(fields))
    @example(hostile=Hostile(dict.fromkeys(fields, HUGE)))
    @example(hostile=Hostile({name: ["\x00", HUGE] for name in fields}))
    def fuzz(hostile: Hostile) -> None:
        http = Client() if who == "fresh" else world.http[who]
        with rolled_back():
            with written_tables() as written:
                response = send(http, "post", url, hostile)
            assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, url_name
            if written - QUIET_TABLES:
                assert not stored_problems(world), url_name
                for address in EmailAddress.objects.values_list("email", flat=True):
                    validate_email(address)

    fuzz()


def test_allauth_forms_never_fail_or_store_garbage(world: World) -> None:
    failures = []
    for url_name, who, fields in ALLAUTH_FORMS:
        try:
            _fuzz_allauth(world, url_name, who, fields)
        except Exception as error:
            failures.append(f"{url_name}: {type(error).__name__}: {str(error)[:300]}")
    assert not failures, "\n".join(failures)


# --- CSRF -------------------------------------------------------------------------------------


def _csrf_targets(world: World) -> list[tuple[str, str, list[Any]]]:
    """Every URL of the conf that a form could post to, with who would post and its
    arguments: our views (FORMS, and the GET-only pages too: the CSRF check comes first),
    and allauth's pages that take no argument."""
    targets = [(e.url_name, e.who, e.args(world)) for e in FORMS]
    covered = {t[0] for t in targets}
    for route in routes():
        if route.name in covered or route.name.startswith("admin:") or route.params:
            continue
        who = "clinician" if route.name.startswith("mfa_") else "client"
        if route.name in ("account_login", "account_signup", "account_reset_password"):
            who = "anonymous"
        targets.append((route.name, who, []))
    return targets


def _as_csrf_checked(http: Client) -> Client:
    """A browser that checks CSRF like production, holding ``http``'s cookies (session and
    CSRF cookie): what a hostile site's cross-site form post carries."""
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = http.cookies
    return checked


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(world: World) -> None:
    # Give every browser a CSRF cookie first, as a real visit would.
    for http in world.http.values():
        http.get(reverse("account_login"))
    targets = _csrf_targets(world)
    assert len(targets) >= 45
    before = db_snapshot()
    for url_name, who, args in targets:
        http = _as_csrf_checked(world.http[who])
        url = reverse(url_name, args=args)
        response = http.post(url, {"typed_name": "Robin Example", "agreed": "on",
                                   "note": "Called.", "reason": "Because.",
                                   "clinician": str(world.people["other_clinician"].pk),
                                   "email": "new.person@example.com", "name": "Evil"})
        assert response.status_code == HTTPStatus.FORBIDDEN, (url_name, response.status_code)
    assert db_changes(before, db_snapshot()) == []


# --- Every value through every check -----------------------------------------------------------
#
# Hypothesis samples; the checks below are exhaustive over the hand-picked strings, and cheap
# because they call the forms and the checks behind them directly (no HTTP, nothing stored):
# each hand-picked string, alone and in a list, in each field of an otherwise plausible form.
# Whatever the form accepts must pass on only what the portal's rules allow.


@functools.cache
def _shipped_questionnaire() -> Questionnaire:
    return parse_definition(read_definition())


def _question_and_section(index: int) -> tuple[Questionnaire, Section, Question]:
    questionnaire = _shipped_questionnaire()
    pairs = [(section, question) for section in questionnaire.sections
             for question in section.questions]
    section, question = pairs[index % len(pairs)]
    return questionnaire, section, question


def _answer_outcome(index: int, raw: Any) -> list[str]:
    """``raw`` posted as the answer to one question, through ``clean_section`` (what a page
    and an autosave call): what would be stored, and what is wrong with it."""
    questionnaire, section, question = _question_and_section(index)
    result = clean_section(questionnaire, section, {question.id: raw}, {})
    return intake_problems(questionnaire, result.answers)


@settings(FUZZ, max_examples=300)
@given(value=st.one_of(st.text(), st.lists(st.text(), max_size=3), st.integers(),
                       st.floats(), st.none(), st.booleans(),
                       st.lists(st.dictionaries(st.text(max_size=12), st.text(max_size=5),
                                                max_size=3), max_size=2)),
       index=st.integers(min_value=0, max_value=200))
def test_every_intake_answer_check_takes_any_value(value: Any, index: int) -> None:
    """Random values of every type for every question: each is refused in words or stored
    in a form its question allows; no other outcome, never an exception."""
    assert _answer_outcome(index, value) == []


def test_a_frequency_given_as_a_number_that_is_not_whole_is_refused() -> None:
    """Found by the fuzzing above: 1.0 == 1 in Python, so a float used to be stored as a
    PHQ-9 or GAD-7 answer (JSON can carry one). Only the whole numbers 0 to 3 are kept."""
    questionnaire = _shipped_questionnaire()
    section = questionnaire.section("feelings")
    for raw in (1.0, 0.0, -0.0, 3.0, [2.0]):
        result = clean_section(questionnaire, section, {"phq9_1": raw}, {})
        assert "phq9_1" not in result.answers, raw
        assert "phq9_1" in result.errors, raw
    assert clean_section(questionnaire, section, {"phq9_1": 2}, {}).answers["phq9_1"] == 2


def test_every_intake_answer_check_takes_every_hand_picked_string() -> None:
    questionnaire = _shipped_questionnaire()
    count = sum(len(section.questions) for section in questionnaire.sections)
    failures = []
    for index in range(count):
        question = _question_and_section(index)[2]
        values: list[Any] = [*NASTY, *([v] for v in NASTY), *([v, v] for v in ALSO_AS_LIST)]
        if question.type == "group":
            values += [[{child.id: v for child in question.questions}] for v in NASTY]
        for raw in values:
            try:
                problems = _answer_outcome(index, raw)
            except Exception as error:
                problems = [f"{type(error).__name__}: {error}"]
            failures += [f"{question.id} {raw!r:.40}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)


@dataclass(frozen=True)
class FormCase:
    """A form a view binds to a post, a plausible post, and what the view does with it
    once valid (reads only): the problems in what would be stored."""

    name: str
    plausible: Callable[[World], dict[str, str]]
    check: Callable[[World, QueryDict], list[str]]


def _audit_check(world: World, data: QueryDict) -> list[str]:
    viewer = world.people["admin"]
    form = AuditFilterForm(data, viewer=viewer)
    if form.is_valid():
        events, _ = filter_events(events_visible_to(viewer), form.cleaned_data)
        events.exists()
    return []


def _search_check(world: World, data: QueryDict) -> list[str]:
    form = ClientSearchForm(data)
    if form.is_valid():
        client_search(viewer=world.people["admin"], kind=form.cleaned_data["kind"],
                      value=form.cleaned_data["value"])
    return []


def _outstanding_check(world: World, data: QueryDict) -> list[str]:
    OutstandingFilterForm(data, documents=list(ConsentDocument.objects.all())).query()
    return []


def _sign_check(world: World, data: QueryDict) -> list[str]:
    form = SignForm(data)
    if not form.is_valid():
        return []
    representative, authority = form.representative()
    try:
        checked = check_signing(
            client=world.people["client"], version_id=world.objects["consent_version"].pk,
            expected_sha256=form.cleaned_data["sha256"],
            typed_name=form.cleaned_data["typed_name"], agreed=form.cleaned_data["agreed"],
            representative_name=representative, representative_authority=authority,
        )
    except SigningError:
        return []
    problems = name_problems("typed name", checked.typed_name)
    if checked.representative_name:
        problems += name_problems("representative", checked.representative_name)
    return problems


def _authorization_check(world: World, data: QueryDict) -> list[str]:
    form = AuthorizationForm(data)
    valid = form.is_valid()
    details = form.details()
    errors = authorization_errors(details, typed_name=form.cleaned_data.get("typed_name", ""),
                                  agreed=bool(form.cleaned_data.get("agreed")))
    if not valid or errors:
        return []
    problems = [text_problem(name, getattr(details, name).strip(), limit=LIMITS[name],
                             required=True, minimum_visible=2)
                for name in ("information", "discloser", "recipient", "purpose")]
    problems.append(text_problem("expiry event", details.expiry_event, limit=500,
                                 required=False))
    return [problem for problem in problems if problem]


def _withdraw_check(world: World, data: QueryDict) -> list[str]:
    form = WithdrawForm(data)
    if not form.is_valid():
        return []
    with rolled_back():
        signature = world.objects["signature"]
        try:
            consent_withdraw(client=world.people["client"], signature_id=signature.pk,
                             reason=form.cleaned_data["reason"])
        except SigningError:
            return []
        signature.refresh_from_db()
        problem = text_problem("reason", signature.withdrawal_reason, limit=1000,
                               required=False)
    return [problem] if problem else []


def _note_check(world: World, data: QueryDict) -> list[str]:
    form = AcknowledgementForm(data)
    if not form.is_valid():
        return []
    problem = text_problem("note", form.cleaned_data["note"],
                           limit=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, required=True)
    return [problem] if problem else []


def _version_check(world: World, data: QueryDict) -> list[str]:
    form = VersionForm(data, instance=ConsentVersion(document=world.objects["consent_document"]))
    if not form.is_valid():
        return []
    problems = [text_problem("summary", form.cleaned_data["summary"], limit=2000,
                             required=True),
                text_problem("body", form.cleaned_data["body"], limit=100_000, required=True),
                text_problem("change note", form.cleaned_data["change_note"], limit=2000,
                             required=False)]
    return [problem for problem in problems if problem]


def _practice_check(world: World, data: QueryDict) -> list[str]:
    form = PracticeSettingsForm(data, instance=PracticeSettings.load())
    if not form.is_valid():
        return []
    cleaned = form.cleaned_data
    problems = [text_problem("name", cleaned["name"], limit=120, required=True),
                text_problem("phone", cleaned["contact_phone"], limit=40, required=False),
                text_problem("address", cleaned["address"], limit=500, required=False),
                text_problem("crisis text", cleaned["crisis_text"], limit=2000,
                             required=False)]
    for name in DOCUMENT_TEXT_SETTINGS:  # quoted in a consent document's sentence
        value = cleaned[name]
        problems.append(text_problem(name, value, limit=120, required=False))
        if any(mark in value for mark in "[]\n\r"):
            problems.append(f"{name}: a bracket or line break was kept")
    return [problem for problem in problems if problem]


def _invitation_check(world: World, data: QueryDict) -> list[str]:
    InvitationForm(data).is_valid()
    return []


def _requirement_check(world: World, data: QueryDict) -> list[str]:
    form = RequirementForm(data)
    if form.is_valid() and form.cleaned_data["requirement"] not in Requirement.values:
        return ["requirement: not a choice"]
    return []


def _erasure_check(world: World, data: QueryDict) -> list[str]:
    email = world.people["client"].email
    form = ErasureForm(data, expected_email=email)
    if form.is_valid() and form.cleaned_data["confirm_email"].casefold() != email.casefold():
        return ["erasure confirmed by an email that is not the client's"]
    return []


FORM_CASES = [
    FormCase("audit filters", lambda w: {
        "client": str(w.people["client"].pk), "actor": str(w.people["admin"].pk),
        "action": "intake.viewed", "date_from": "2020-01-01", "date_to": "2030-01-01",
    }, _audit_check),
    FormCase("client search", lambda w: {"q": "Robin Example", "by": "auto"}, _search_check),
    FormCase("outstanding filters", lambda w: {
        "document": str(w.objects["consent_document"].pk), "state": ATTENTION_STATES[0],
    }, _outstanding_check),
    FormCase("signing", lambda w: {k: v[0] for k, v in _sign_fields(w).items()}, _sign_check),
    FormCase("authorization", lambda w: {
        k: v[0] for k, v in _authorization_fields(w).items() if k != "includes_substance_use"
    }, _authorization_check),
    FormCase("withdrawal", lambda w: {"reason": "I changed my mind."}, _withdraw_check),
    FormCase("acknowledgement", lambda w: {"note": "Called the client."}, _note_check),
    FormCase("consent version", lambda w: {k: v[0] for k, v in _version_fields(w).items()},
             _version_check),
    FormCase("practice settings", lambda w: {k: v[0] for k, v in _practice_fields(w).items()},
             _practice_check),
    FormCase("invitation", lambda w: {"email": "new.person@example.com"}, _invitation_check),
    FormCase("requirement", lambda w: {"requirement": Requirement.OPTIONAL.value},
             _requirement_check),
    FormCase("erasure", lambda w: {"confirm_email": "someone.else@example.com"},
             _erasure_check),
]
# Lone surrogates never reach a form: Django decodes request bodies with errors="replace".
REACHABLE = tuple(value for value in NASTY if not re.search("[\ud800-\udfff]", value))
# Each hand-picked string is also sent as a list with these (the rest alone: time).
ALSO_AS_LIST = ("\x00", "²", "9999-12-31", HUGE, "")


def _query_dict(values: Mapping[str, str | list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def test_every_form_takes_every_hand_picked_string_in_every_field() -> None:
    world = build_world(signed_in=())
    failures = []
    for case in FORM_CASES:
        plausible = case.plausible(world)
        assert case.check(world, _query_dict(plausible)) == [], case.name
        for name in plausible:
            for value in REACHABLE:
                variants: list[str | list[str]] = [value]
                if value in ALSO_AS_LIST:
                    variants.append([value, plausible[name]])
                for variant in variants:
                    try:
                        problems = case.check(world, _query_dict({**plausible, name: variant}))
                    except Exception as error:
                        problems = [f"{type(error).__name__}: {error}"]
                    failures += [f"{case.name}, {name}={variant!r:.40}: {problem}"
                                 for problem in problems]
    assert not failures, "\n".join(failures)


# --- Bytes that are not text, and one value sent twice ------------------------------------------
#
# Django reads both leniently: bytes that are not UTF-8 become U+FFFD, and of a value sent
# twice the last one wins. The portal refuses both instead (portal/input_checks.py), and
# stores nothing: proven here by reading the whole database before and after.

URLENCODED = "application/x-www-form-urlencoded"
BAD_ENVELOPES = ("percent-encoded", "raw", "multipart")
ALLAUTH_ENDPOINTS = [Endpoint(url_name, who, fields=_always(fields))
                     for url_name, who, fields in ALLAUTH_FORMS]


def _http(world: World, endpoint: Endpoint) -> Client:
    return Client() if endpoint.who == "fresh" else world.http[endpoint.who]


def _plausible(world: World, endpoint: Endpoint) -> dict[str, str]:
    return {name: values[0] for name, values in endpoint.fields(world).items() if values}


def _send_bad(http: Client, endpoint: Endpoint, url: str, fields: dict[str, str], name: str,
              bad: bytes, envelope: str) -> Any:
    if endpoint.method == "get":
        return http.get(f"{url}?{urlencoded_with(fields, name, bad).decode()}")
    # The autosave's script asks for JSON, as a page's form asks for HTML.
    accept = "application/json" if endpoint.url_name == "intake_autosave" else "text/html"
    if envelope == "multipart":
        return http.post(url, multipart_with(fields, name, bad), HTTP_ACCEPT=accept,
                         content_type=f"multipart/form-data; boundary={BOUNDARY}")
    return http.post(url, urlencoded_with(fields, name, bad, raw=envelope == "raw"),
                     content_type=URLENCODED, HTTP_ACCEPT=accept)


def test_unreadable_bytes_are_refused_at_every_form_endpoint_and_nothing_changes(
    world: World,
) -> None:
    """Every form (ours and allauth's), each bad byte sequence in one of its fields, in a
    urlencoded body (percent-encoded and raw), a multipart body, or the query string of a
    GET form: 400 every time, the autosave's in JSON for its page to show; not a row of
    the database changes, and no stored value holds U+FFFD."""
    failures = []
    for endpoint in [*FORMS, *ALLAUTH_ENDPOINTS]:
        url = reverse(endpoint.url_name, args=endpoint.args(world))
        fields = _plausible(world, endpoint) or {"note": "Hello"}
        names = sorted(fields)
        before = db_snapshot()
        for number, (reason, bad) in enumerate(BAD_BYTES):
            name = names[number % len(names)]
            for envelope in ("query",) if endpoint.method == "get" else BAD_ENVELOPES:
                response = _send_bad(_http(world, endpoint), endpoint, url, fields, name, bad,
                                     envelope)
                where = f"{endpoint.key} {name} ({reason}, {envelope})"
                if response.status_code != HTTPStatus.BAD_REQUEST:
                    failures.append(f"{where}: {response.status_code}")
                elif endpoint.url_name == "intake_autosave":
                    if response.json() != {"message": UNREADABLE_MESSAGE, "refused": True}:
                        failures.append(f"{where}: {response.content[:200]!r}")
                elif UNREADABLE_MESSAGE not in response.content.decode():
                    failures.append(f"{where}: the page does not say why")
        if changed := db_changes(before, db_snapshot()):
            failures.append(f"{endpoint.key}: changed {changed}")
    assert not failures, "\n".join(failures)
    assert replacement_characters() == []


def test_an_unreadable_autosave_keeps_the_answer_saved_before(world: World) -> None:
    http = world.http["client"]
    draft = world.objects["draft_intake"]
    url = reverse("intake_autosave", args=[draft.id])
    fields = {"section": "about_you", "revision": str(draft.revision),
              "questions": "preferred_name", "preferred_name": "Robin"}
    saved = http.post(url, fields, HTTP_ACCEPT="application/json")
    assert saved.status_code == HTTPStatus.OK
    fields["revision"] = str(saved.json()["revision"])
    for reason, bad in BAD_BYTES:
        for envelope in BAD_ENVELOPES:
            refused = _send_bad(http, Endpoint("intake_autosave", "client"), url, fields,
                                "preferred_name", bad, envelope)
            assert refused.status_code == HTTPStatus.BAD_REQUEST, (reason, envelope)
    draft.refresh_from_db()
    assert draft.answers["preferred_name"] == "Robin"
    assert str(draft.revision) == fields["revision"]


def _list_fields(world: World) -> set[str]:
    """Fields that are lists by design (ticked boxes): sent several times they are read as
    several values, which is what they mean."""
    names = {LISTED_FIELD, "client", "condition"}  # condition: the builder's chosen answers
    for section in _sections(world):
        for question in section.questions:
            if question.type == "multiple_choice":
                names.add(question.id)
            for child in question.questions if question.type == "group" else ():
                if child.type == "multiple_choice":
                    names |= {group_field_name(question.id, n, child.id)
                              for n in range(1, (question.max_items or 0) + 1)}
    return names


def _question_of(world: World, name: str) -> tuple[str, str] | None:
    """(section id, question id) of an intake field name, or None for another field."""
    for section in _sections(world):
        for question in section.questions:
            if name == question.id or name.startswith(f"{question.id}-"):
                return section.id, question.id
    return None


# allauth's forms whose fields are read (signing up is closed; the other pages send these
# visitors elsewhere before reading a form, or read buttons by name only).
ALLAUTH_SINGLE_VALUES = {
    "account_login": ("login", "password"),
    "account_reset_password": ("email",),
    "account_reauthenticate": ("password",),
    "account_change_password": ("oldpassword", "password1", "password2"),
    "account_email": ("email",),
    "mfa_reauthenticate": ("code",),
}


def _without_question(world: World, fields: dict[str, str], question_id: str,
                      keep: str) -> dict[str, str]:
    """``fields`` without the other fields of one intake question (its "in person" box,
    its other group entries), so only the repeated field speaks for it."""
    return {name: value for name, value in fields.items()
            if name == keep or (_question_of(world, name) or ("", ""))[1] != question_id}


def _repeated_posts(world: World) -> Iterator[tuple[Endpoint, str, dict[str, Any]]]:
    """(endpoint, field, post) for each field that takes one value, sent twice: its first
    and last plausible values, the last being what Django would keep."""
    lists = _list_fields(world)
    for endpoint in [e for e in [*FORMS, *ALLAUTH_ENDPOINTS] if e.method == "post"]:
        read = ALLAUTH_SINGLE_VALUES.get(endpoint.url_name)
        if endpoint in ALLAUTH_ENDPOINTS and read is None:
            continue
        for name, values in endpoint.fields(world).items():
            if not values or name in lists or (read is not None and name not in read):
                continue
            if endpoint.url_name == "intake_autosave" and name == "action":
                continue  # the page's buttons: the autosave never reads them
            fields = _plausible(world, endpoint)
            if (found := _question_of(world, name)) and endpoint.url_name.startswith("intake"):
                fields = _without_question(world, fields, found[1], name)
                if endpoint.url_name == "intake_autosave":
                    fields["section"] = found[0]
            posted = {**fields, name: [values[0], values[-1]]}
            if endpoint.allowed(world, Hostile(posted)):
                yield endpoint, name, posted


def test_a_single_value_sent_twice_is_refused_at_every_form_endpoint(world: World) -> None:
    """Each field of each form that takes one value, sent twice: refused with 400, or
    with a message next to the field, and nothing stored (the database does not change
    outside the audit trail and sessions). On an intake page the other answers are saved
    as usual; that question keeps what was saved before (a question a condition hides is
    dropped unsaved, without a message, like any answer to it)."""
    draft = world.objects["draft_intake"]
    failures = []
    for endpoint, name, posted in _repeated_posts(world):
        url = reverse(endpoint.url_name, args=endpoint.args(world))
        found = _question_of(world, name) if endpoint.url_name.startswith("intake") else None
        with rolled_back():
            before = db_snapshot()
            response = _http(world, endpoint).post(
                url, urlencode(posted, doseq=True), content_type=URLENCODED,
                HTTP_ACCEPT="application/json" if endpoint.url_name == "intake_autosave"
                else "text/html")
            where = f"{endpoint.key} {name}"
            text = response.content.decode(errors="replace")
            refused = response.status_code == HTTPStatus.BAD_REQUEST or any(
                message in text for message in (REPEATED_FIELD_MESSAGE,
                                                "Please choose one answer."))
            if found:
                stored = Intake.objects.get(pk=draft.pk).answers.get(found[1])
                if stored is not None:
                    failures.append(f"{where}: stored {stored!r:.60}")
                if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
                    failures.append(f"{where}: {response.status_code}")
                continue
            if not refused:
                failures.append(f"{where}: {response.status_code}, not refused")
            changed = [table for table in db_changes(before, db_snapshot())
                       if table not in QUIET_TABLES and not table.startswith("portal_audit")]
            if changed:
                failures.append(f"{where}: changed {changed}")
    assert not failures, "\n".join(failures)


def test_a_choice_sent_twice_on_an_intake_page_is_refused_next_to_it(world: World) -> None:
    http = world.http["client"]
    draft = world.objects["draft_intake"]
    page = reverse("intake_section", args=[draft.id, "about_you"])
    response = http.post(page, {"revision": str(draft.revision), "action": "later",
                                "questions": ["pronouns", "preferred_name"],
                                "pronouns": ["they/them", "she/her"],
                                "preferred_name": "Rob"})
    assert response.status_code == HTTPStatus.OK
    assert "Please choose one answer." in response.content.decode()
    draft.refresh_from_db()
    assert "pronouns" not in draft.answers
    assert draft.answers["preferred_name"] == "Rob"
    # From an older page (stale revision), the page comes back with what it sent, both
    # values listed to copy from (found by the fuzzing above: it once failed with a 500).
    stale = http.post(page, {"revision": "0", "action": "later",
                             "questions": "heard_about_us",
                             "heard_about_us": ["friend_or_family", "online_search"]})
    assert stale.status_code == HTTPStatus.CONFLICT
    assert stale.content.decode().count("How did you hear about us") >= 2


def test_every_form_class_refuses_repeated_single_values() -> None:
    """The mixin is on every form of ours that binds to what a browser sends (the audit
    filter form reads a GET only, and lives in portal/audit: its filters are refused by
    their own checks)."""
    from django import forms

    import clients.forms
    import clients.views.care_team
    import consents.forms
    import consents.forms_staff
    import intake.forms
    import intake.forms_staff
    import portal.forms

    modules = (consents.forms, consents.forms_staff, intake.forms, intake.forms_staff,
               clients.forms, portal.forms, clients.views.care_team)
    classes = {value for module in modules for value in vars(module).values()
               if isinstance(value, type) and issubclass(value, forms.BaseForm)
               and value.__module__ == module.__name__}
    assert len(classes) >= 14
    assert [c.__name__ for c in classes if not issubclass(c, SingleValueFieldsMixin)] == []
