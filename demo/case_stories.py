"""The demo practice's couple and family cases, so the case pages have something on them.

A couple on Jordan Chen's care team, both of whom signed the practice's no-secrets policy
and sent their intake (one CSI-4 below the distress cut-off, one above; each with private
words the other never sees, and shared ones the other reads). A family on Dr. Rivera's:
two parents with joint legal custody of an eight-year-old (no account) and a fourteen-
year-old (her own account, her intake sent with a page private from her parents); one
parent has confirmed and signed the treatment consent for the younger child, so it waits
for the other.

Everything goes through the services real use goes through (``clients.cases``,
``intake.services``, ``consents``), so it is encrypted under each person's own key, audited
and chained. Each step checks first whether it was done, so ``seed_demo`` can run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from clients.cases import (
    case_assign,
    case_create,
    case_participant_invite,
    child_add,
    guardian_link,
    guardianship_attest,
)
from consents.models import DocumentKind
from consents.signer_sets import consent_sign_for_child
from demo.scenarios import (
    ADMIN,
    CHEN,
    DEMO_DOMAIN,
    RIVERA,
    ensure_profile,
    published_document,
    sign,
)
from intake.models import Intake, IntakeState
from intake.services import intake_save_section, intake_start, intake_submit
from portal.models import Case, CaseParticipant, Guardianship, ParticipantRole, User

COUPLE_A = f"couple.lena@{DEMO_DOMAIN}"
COUPLE_B = f"couple.omar@{DEMO_DOMAIN}"
PARENT_A = f"family.ana@{DEMO_DOMAIN}"
PARENT_B = f"family.joao@{DEMO_DOMAIN}"
TEEN = f"family.sofia@{DEMO_DOMAIN}"
BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")


@dataclass(frozen=True)
class CasePerson:
    email: str
    shows: str
    profile: dict[str, Any]


CASE_PEOPLE = (
    CasePerson(COUPLE_A, "couple case with Omar (Jordan Chen): intake sent, CSI-4 below the "
                         "cut-off; reads what Omar shared",
               {"legal_name": "Lena Fischer", "preferred_name": "Lena",
                "date_of_birth": date(1988, 3, 9), "phone": "(555) 010-0131"}),
    CasePerson(COUPLE_B, "couple case with Lena: intake sent; his private page stays his",
               {"legal_name": "Omar Haddad", "preferred_name": "Omar",
                "date_of_birth": date(1986, 10, 21), "phone": "(555) 010-0132"}),
    CasePerson(PARENT_A, "family case (Dr. Rivera): signed for Lucas, 8; the consent waits "
                         "for the other parent",
               {"legal_name": "Ana Silva", "date_of_birth": date(1984, 5, 2),
                "phone": "(555) 010-0133"}),
    CasePerson(PARENT_B, "family case: has not yet confirmed his authority or signed for "
                         "Lucas",
               {"legal_name": "João Silva", "date_of_birth": date(1982, 1, 17),
                "phone": "(555) 010-0134"}),
    CasePerson(TEEN, "family case: Sofia, 14, her own account; intake sent with a page "
                     "private from her parents",
               {"legal_name": "Sofia Silva", "date_of_birth": date(2012, 2, 14)}),
)


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _feelings(phq9: int, gad7: int) -> dict[str, str]:
    page = {f"phq9_{n}": str(phq9) for n in range(1, 9)}
    page["phq9_9"] = "0"
    page.update({f"gad7_{n}": str(gad7) for n in range(1, 8)})
    return page


def _about(person: CasePerson) -> dict[str, str]:
    return {name: str(value) for name, value in person.profile.items()
            if name in ("legal_name", "preferred_name", "date_of_birth", "phone")}


def _sent(client: User, case: Case, pages: dict[str, dict[str, Any]]) -> None:
    """The client's intake in ``case`` answered page by page and sent, once."""
    if Intake.objects.filter(client=client, case=case, state=IntakeState.SUBMITTED).exists():
        return
    intake = intake_start(client=client, case=case)
    for section, posted in pages.items():
        outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                      posted=posted, revision=intake.revision)
        if outcome.errors:
            raise RuntimeError(f"A demo answer on {section} was refused: {sorted(outcome.errors)}")
        intake = outcome.intake
    intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


def _case_of(email: str, kind: str) -> Case | None:
    place = CaseParticipant.objects.filter(person__email=email, case__kind=kind).first()
    return place.case if place is not None else None


def _couple() -> None:
    admin = _user(ADMIN)
    case = _case_of(COUPLE_A, "couple")
    if case is None:
        case = case_create(kind="couple", created_by=admin)
        for email in (COUPLE_A, COUPLE_B):
            case_participant_invite(case=case, email=email, role=ParticipantRole.PARTNER,
                                    actor=admin)
        case_assign(case=case, clinician=_user(CHEN), actor=admin)
    for person, csi4, words, private in (
        (CASE_PEOPLE[0], ("2", "3", "2", "3"),
         "We have stopped talking about anything but the kids' schedules.",
         "I have been thinking about leaving, and I have not said so."),
        (CASE_PEOPLE[1], ("4", "4", "4", "3"),
         "Lena seems far away and I don't know how to reach her.",
         "I lost money last year and never told her."),
    ):
        client = _user(person.email)
        sign(client, *BEFORE_INTAKE, DocumentKind.SECRETS_NO_SECRETS)
        _sent(client, case, {
            "about_you": _about(person),
            "what_brings_us": {"in_your_own_words": words, "since_when": "a_year_or_more"},
            "relationship": {"together_how_long": "six_to_ten_years",
                             "living_together": "yes", "has_children": "yes"},
            "csi4": {f"csi4_{n}": value for n, value in enumerate(csi4, start=1)},
            "feelings": _feelings(1, 1),
            "safety": {"thoughts_of_ending_life_now": "no", "afraid_of_partner": "no"},
            "private_things": {"not_told_partner": private},
            "goals": {"good_outcome": "To feel like a team again."},
        })


def _family() -> None:
    admin = _user(ADMIN)
    case = _case_of(PARENT_A, "family")
    if case is None:
        case = case_create(kind="family", created_by=admin)
        parents = [case_participant_invite(case=case, email=email, role=ParticipantRole.ADULT,
                                           actor=admin) for email in (PARENT_A, PARENT_B)]
        lucas = child_add(case=case, legal_name="Lucas Silva", date_of_birth=date(2018, 7, 30),
                          actor=admin)
        teen = case_participant_invite(case=case, email=TEEN, role=ParticipantRole.ADOLESCENT,
                                        actor=admin, date_of_birth=date(2012, 2, 14))
        for parent, word in zip(parents, ("Mother", "Father"), strict=True):
            for minor in (lucas, teen):
                guardian_link(case=case, guardian=parent, minor=minor, relationship=word,
                              legal_authority="Joint legal custody", signs_for_child=True,
                              actor=admin)
        case_assign(case=case, clinician=_user(RIVERA), actor=admin)
    ana = _user(PARENT_A)
    lucas_link = Guardianship.objects.get(case=case, guardian__person=ana,
                                          minor__role=ParticipantRole.CHILD)
    if lucas_link.attested_at is None:
        guardianship_attest(guardianship=lucas_link, by=ana)
        version = published_document(DocumentKind.TREATMENT)
        consent_sign_for_child(guardian=ana, child_id=lucas_link.child_id,
                               version_id=version.pk, expected_sha256=version.sha256,
                               typed_name="Ana Silva", agreed=True)
    sofia = _user(TEEN)
    sign(sofia, DocumentKind.ADOLESCENT_ASSENT)
    _sent(sofia, case, {
        "about_you": _about(CASE_PEOPLE[4]),
        "what_brings_you": {"in_your_own_words": "Home has been loud since Dad moved out."},
        "school_and_friends": {"school_feels": "hard"},
        "feelings": _feelings(1, 2),
        "safety": {"thoughts_of_ending_life_now": "no"},
        "private_things": {"vaping": "sometimes",
                           "not_told_guardians": "I have a girlfriend. Nobody at home knows."},
        "hopes": {"good_outcome": "That we stop fighting about weekends."},
    })


def play_cases() -> None:
    """The case people's details, then the couple and the family (after the accounts, the
    care teams and the published documents exist). Safe to run again."""
    for person in CASE_PEOPLE:
        ensure_profile(_user(person.email), person.profile)
    _couple()
    _family()
