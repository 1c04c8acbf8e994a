"""The demo practice's stories, so every staff page has something on it: a client half way
through their intake, one who sent it with moderate scores, one whose safety alert waits
for a clinician, one whose alert was acknowledged, consents signed, one withdrawn with a
reason, one signed on a version since changed materially, an authorization to release
information, and staff openings of records for "Who has opened my record".

Every step goes through the services real use goes through (``intake.services``,
``consents.services``, ``consents.authorizations``, ``portal.services``), so what is stored
is exactly what real use stores: encrypted under each client's own data key, audited, and
chained. Staff openings are recorded with the same action, actor, subject and target as the
staff views record them, after decrypting what those views decrypt. Each step checks first
whether it was done (by the demo account's email and what it already holds), so running
``seed_demo`` again changes nothing and records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from consents.authorizations import AuthorizationDetails, authorization_sign
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion, DocumentKind
from consents.services import consent_sign, consent_withdraw, current_version, version_publish
from demo.measure_stories import IMPROVING, WORSENING, play_history
from intake.models import Intake, IntakeState
from intake.safety_alerts import close_alert
from intake.services import (
    intake_mark_reviewed,
    intake_save_section,
    intake_start,
    intake_submit,
)
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.service import record_event
from portal.models import ClientProfile, PracticeSettings, User
from portal.services.profiles import PROFILE_FIELDS, SOURCE_CLIENT, profile_update

DEMO_DOMAIN = "demo.example.org"
ADMIN = f"admin@{DEMO_DOMAIN}"
RIVERA = f"clinician.rivera@{DEMO_DOMAIN}"
CHEN = f"clinician.chen@{DEMO_DOMAIN}"

# What the demo practice says about itself: every setting the shipped consent documents
# quote (``consents.placeholders``), so each demo version is published with none left.
DEMO_PRACTICE_SETTINGS: dict[str, Any] = {
    "name": "Willow Street Counseling (demo)",
    "contact_email": f"hello@{DEMO_DOMAIN}",
    "contact_phone": "(555) 010-0199",
    "address": "120 Willow Street, Suite 4\nPortland, OR 97205",
    "practice_state": "Oregon",
    "session_minutes": 50,
    "video_platform": "Doxy.me",
    "reconnect_minutes": 10,
    "records_retention_years": 7,
    "intake_fee": "$180",
    "session_fee": "$150",
    "longer_session_fee": "$75 for each additional 25 minutes",
    "letters_fee": "$50 per letter or form",
    "legal_hourly_fee": "$250",
    "cancellation_notice_hours": 24,
    "late_cancellation_fee": "$75",
    "fee_change_notice_days": 30,
    "payment_due": "at the time of each session",
    "payment_methods": "credit or debit card, HSA or FSA card",
    "returned_check_fee": "$25",
    "paper_copy_fee": "free of charge",
    "insurance_networks": "not in network with any insurance plans",
    "unpaid_balance_days": 60,
    # The settings written in words, as the Spanish documents quote them.
    "in_other_languages": {"es": {
        "longer_session_fee": "$75 por cada 25 minutos adicionales",
        "letters_fee": "$50 por carta o formulario",
        "late_cancellation_fee": "$75",
        "payment_due": "al momento de cada sesión",
        "payment_methods": "tarjeta de crédito o débito, o tarjeta HSA o FSA",
        "paper_copy_fee": "sin costo",
        "insurance_networks": "un proveedor fuera de la red de todos los planes de seguro",
    }},
}


# The documents a client signs before their intake, as the intake pages ask.
BEFORE_INTAKE = (DocumentKind.ELECTRONIC_SIGNATURES, DocumentKind.TREATMENT,
                 DocumentKind.PRIVACY_NOTICE)
# The paragraph the practice added to its fees policy after the outdated client signed it:
# a change to what a client may pay, so material (everyone who signed must sign again).
FEES_CHANGE = (
    "## Video sessions you cannot join\n\n"
    "A video session you have not joined within 15 minutes of its start counts as a missed "
    "session, and the late cancellation fee applies, unless you let us know before it "
    "starts that you are having trouble connecting."
)


@dataclass(frozen=True)
class Feelings:
    """PHQ-9 items 1 to 9 and GAD-7 items 1 to 7, each 0 ("Not at all") to 3."""

    phq9: tuple[int, ...]
    gad7: tuple[int, ...]


MILD = Feelings(phq9=(1, 1, 1, 1, 1, 0, 1, 0, 0), gad7=(1, 1, 1, 1, 0, 1, 0))  # 6 and 5
# PHQ-9 12 and GAD-7 11: both in the moderate band (10 to 14).
MODERATE = Feelings(phq9=(2, 2, 1, 2, 1, 1, 2, 1, 0), gad7=(2, 2, 2, 1, 2, 1, 1))
# The first points of the measures' demo series (demo.measure_stories): PHQ-9 16 and
# GAD-7 14 (improving over six months), PHQ-9 7 and GAD-7 6 (worsening over three).
BEFORE_IMPROVING = Feelings(phq9=(2, 2, 2, 2, 2, 2, 2, 2, 0), gad7=(2, 2, 2, 2, 2, 2, 2))
BEFORE_WORSENING = Feelings(phq9=(1, 1, 1, 1, 1, 1, 1, 0, 0), gad7=(1, 1, 1, 1, 1, 1, 0))
# PHQ-9 15 with item 9 at "Several days": a safety answer on its own.
SAFETY_ITEM_9 = Feelings(phq9=(2, 2, 2, 2, 1, 2, 2, 1, 1), gad7=(2, 2, 2, 2, 1, 1, 1))


def answers(profile: dict[str, Any], *, words: str, feelings: Feelings,
            thoughts_now: str = "no") -> dict[str, dict[str, Any]]:
    """A complete intake, page by page, as a browser posts it: "About you" repeats the
    client's details (so submitting leaves their profile as it is), ``words`` is what brings
    them, ``thoughts_now`` answers "thoughts of ending your life now"."""
    about = {name: str(value) if isinstance(value, date) else value
             for name, value in profile.items()}
    page = {f"phq9_{n}": str(value) for n, value in enumerate(feelings.phq9, start=1)}
    page.update({f"gad7_{n}": str(value) for n, value in enumerate(feelings.gad7, start=1)})
    return {
        "about_you": about,
        "what_brings_you": {"in_your_own_words": words, "since_when": "a_few_months"},
        "feelings": page,
        "safety": {"thoughts_of_ending_life_now": thoughts_now},
        "relationships": {"lives_with": ["partner"], "earlier_therapy": "no"},
        "health": {"medications": "None"},
        "practicalities": {"leave_messages": "yes", "preferred_times": ["weekday_evenings"]},
    }


# Steps: each one checks whether it was done before acting -------------------------------------


def _user(email: str) -> User:
    return User.objects.get(email=email)


def ensure_profile(client: User, values: dict[str, Any]) -> None:
    """The client's details, as they would type them on their details page (encrypted under
    their key, blind-indexed for staff search). Nothing changes, and nothing is recorded,
    when they already hold these values."""
    profile_update(client=client, values=values, source=SOURCE_CLIENT)


def _document(kind: str) -> ConsentDocument:
    return ConsentDocument.objects.get(kind=kind)


def published_document(kind: str) -> ConsentVersion:
    version = current_version(_document(kind))
    if version is None:
        raise RuntimeError(f"The demo needs a published {kind} document.")
    return version


def _signatures(client: User, kind: str) -> QuerySet[ConsentSignature]:
    return ConsentSignature.objects.filter(client=client, version__document__kind=kind)


def sign(client: User, *kinds: str) -> None:
    """Sign the current version of each document the client has never signed, typing the
    legal name on their record, as the signing page does. A document they signed once
    (since withdrawn, or since changed) is left as it stands."""
    legal_name = ClientProfile.objects.get(user=client).legal_name
    for kind in kinds:
        if _signatures(client, kind).exists():
            continue
        version = published_document(kind)
        consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                     typed_name=legal_name or "", agreed=True)


def withdraw(client: User, kind: str, reason: str) -> None:
    """Withdraw the client's signature of ``kind`` with ``reason``, once."""
    signature = _signatures(client, kind).order_by("-signed_at").first()
    if signature is not None and signature.withdrawn_at is None:
        consent_withdraw(client=client, signature_id=signature.pk, reason=reason)


def publish_material_change(kind: str, *, signed_by: User, admin: User) -> None:
    """The practice publishes a new version of ``kind`` with a material change, after
    ``signed_by`` signed the current one, so ``signed_by`` must sign again. The new text is
    the current one with one paragraph added (no new placeholder). Done once: when the
    client's signature is no longer on the current version, it already happened."""
    signed = _signatures(signed_by, kind).filter(withdrawn_at__isnull=True).first()
    current = published_document(kind)
    if signed is None or signed.version_id != current.pk:
        return
    draft = ConsentVersion(
        document=current.document, summary=current.summary,
        body=f"{current.body.rstrip()}\n\n{FEES_CHANGE}\n",
        change_note="Added: a video session not joined within 15 minutes counts as missed.",
        material_change=True,
    )
    draft.full_clean()
    draft.save()
    version_publish(version=draft, actor=admin)


def authorize_release(client: User, details: AuthorizationDetails) -> None:
    """The client's authorization to release information, signed once."""
    if _signatures(client, DocumentKind.RELEASE_AUTHORIZATION).exists():
        return
    version = published_document(DocumentKind.RELEASE_AUTHORIZATION)
    authorization_sign(
        client=client, version_id=version.pk, expected_sha256=version.sha256,
        typed_name=ClientProfile.objects.get(user=client).legal_name or "", agreed=True,
        details=details, submission=uuid.uuid4(),
    )


def save_pages(client: User, pages: dict[str, dict[str, Any]]) -> Intake:
    """A new intake with each of ``pages`` saved through the services, as a client saves
    them (refused answers raise: seeded data is never half-stored)."""
    intake = intake_start(client=client)
    for section, posted in pages.items():
        outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                      posted=posted, revision=intake.revision)
        if outcome.errors:
            raise RuntimeError(f"A seeded answer on {section} was refused: "
                               f"{sorted(outcome.errors)}")
        intake = outcome.intake
    return intake


def intake_in_progress(client: User, pages: dict[str, dict[str, Any]]) -> Intake:
    """The client's draft with ``pages`` saved, once (a client with any intake keeps it)."""
    existing = Intake.objects.filter(client=client).order_by("created_at").first()
    return existing if existing is not None else save_pages(client, pages)


def intake_sent(client: User, pages: dict[str, dict[str, Any]]) -> Intake:
    """The client's intake answered page by page and submitted (scored, flagged, audited,
    their profile updated from it), once."""
    sent = Intake.objects.filter(client=client, state=IntakeState.SUBMITTED).first()
    if sent is not None:
        return sent
    draft = save_pages(client, pages)
    return intake_submit(intake_id=draft.pk, client=client, revision=draft.revision)


def _opened(action: Action, staff: User, client: User, target: Model | None) -> bool:
    events = AuditEvent.objects.filter(action=action, actor_id=staff.pk, subject_id=client.pk)
    if target is not None:
        events = events.filter(object_id=str(target.pk))
    return events.exists()


def _open(action: Action, staff: User, client: User, target: Model | None,
          decrypt: Callable[[], object]) -> None:
    """Record that ``staff`` opened part of ``client``'s record, as the staff view does:
    decrypt what the page shows, then record the opening (once per demo opening)."""
    if _opened(action, staff, client, target):
        return
    decrypt()
    record_event(action, actor=staff, subject=client, target=target)


def open_intake(staff: User, intake: Intake) -> None:
    """``staff`` reads the intake page (``staff_intake_detail``: ``intake.viewed``)."""
    _open(Action.INTAKE_VIEWED, staff, intake.client, intake,
          lambda: (intake.answers, intake.scores))


def open_record(staff: User, client: User) -> None:
    """``staff`` opens the client's record page (``client_profile``:
    ``client.profile_viewed``, the profile as target)."""
    profile = ClientProfile.objects.get(user=client)
    _open(Action.CLIENT_PROFILE_VIEWED, staff, client, profile,
          lambda: [getattr(profile, name) for name in PROFILE_FIELDS])


def open_consent_timeline(staff: User, client: User) -> None:
    """A practice admin opens the client's consent timeline, which decrypts their
    withdrawal reasons (``consent_client_timeline``: ``consent.viewed``)."""
    reasons = ConsentSignature.objects.filter(client=client, withdrawal_reason__isnull=False)
    _open(Action.CONSENT_VIEWED, staff, client, None,
          lambda: [row.withdrawal_reason for row in reasons])


def acknowledge(intake: Intake, clinician: User, note: str) -> None:
    """The clinician reads the intake and acknowledges its safety alert with ``note``,
    once."""
    open_intake(clinician, intake)
    alert = intake.raised_safety_alert
    if alert is not None and alert.is_open:
        close_alert(alert=alert, by=clinician, note=note)


def review(intake: Intake, staff: User) -> None:
    """``staff`` reads the intake and marks it reviewed (kept once by the service)."""
    open_intake(staff, intake)
    intake_mark_reviewed(intake=intake, staff=staff)


# The demo clients' stories ---------------------------------------------------------------------


def _half_done_intake(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE)
    pages = answers(profile, words="Since I changed jobs I cannot switch off at night.",
                    feelings=MILD)
    intake_in_progress(client, {name: pages[name] for name in ("about_you", "what_brings_you")})


def _moderate_intake(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.TELEHEALTH, DocumentKind.FEES,
         DocumentKind.COMMUNICATION)
    intake = intake_sent(client, answers(
        profile, feelings=MODERATE,
        words="My partner and I argue about the same things every week and I feel low."))
    rivera = _user(RIVERA)
    open_record(rivera, client)
    review(intake, rivera)
    authorize_release(client, AuthorizationDetails(
        information="Dates of my sessions and a summary of my treatment plan.",
        discloser=PracticeSettings.load().name,
        recipient="Dr. Ellen Park, Maple Street Family Medicine",
        purpose="To coordinate my care with my family doctor.",
        expires_on=timezone.localdate() + timedelta(days=365),
        expiry_event="",
    ))


def _alert_intake(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE)
    intake_sent(client, answers(
        profile, feelings=MODERATE, thoughts_now="yes",
        words="Everything has felt heavy since the winter."))


def _acknowledged_intake(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.TELEHEALTH)
    intake = intake_sent(client, answers(
        profile, feelings=SAFETY_ITEM_9, words="I have not been sleeping since my father died."))
    acknowledge(intake, _user(RIVERA),
                "Called the client the same afternoon. Safety plan agreed; first session "
                "booked for Thursday.")


def _improving_over_six_months(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.TELEHEALTH)
    intake_sent(client, answers(profile, feelings=BEFORE_IMPROVING,
                                words="I lost my job in the spring and stopped seeing anyone."))
    play_history(client, IMPROVING)


def _worsening_over_three_months(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.TELEHEALTH)
    intake_sent(client, answers(profile, feelings=BEFORE_WORSENING,
                                words="I want to manage the stress of caring for my mother."))
    play_history(client, WORSENING)


def _withdrew_telehealth(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.TELEHEALTH, DocumentKind.FEES)
    withdraw(client, DocumentKind.TELEHEALTH,
             "I would rather come to the office for my sessions.")
    intake = intake_sent(client, answers(
        profile, feelings=MILD, words="I want to understand why I keep avoiding my friends."))
    chen = _user(CHEN)
    review(intake, chen)
    open_consent_timeline(_user(ADMIN), client)


def _signed_old_fees(client: User, profile: dict[str, Any]) -> None:
    sign(client, *BEFORE_INTAKE, DocumentKind.FEES)
    publish_material_change(DocumentKind.FEES, signed_by=client, admin=_user(ADMIN))


@dataclass(frozen=True)
class DemoClient:
    """A demo client: their details, their story, and the clinician on their care team."""

    email: str
    shows: str  # what signing in as them (or opening their record) shows
    profile: dict[str, Any]
    story: Callable[[User, dict[str, Any]], None] | None = None
    clinician: str | None = RIVERA
    verified: bool = True
    totp: bool = False
    language: str = ""  # the language they chose for the portal ("" = the practice's)


DEMO_CLIENTS = (
    DemoClient(f"client.ready@{DEMO_DOMAIN}",
               "client with nothing done yet: sign the consents and do the intake yourself",
               {"legal_name": "Maya Okafor", "preferred_name": "Maya", "pronouns": "she/her",
                "date_of_birth": date(1991, 4, 12), "phone": "(555) 010-0142"}),
    DemoClient(f"cliente.es@{DEMO_DOMAIN}",
               "client who reads Spanish, nothing done yet: the portal, the consents and the "
               "intake in Spanish",
               {"legal_name": "Lucía Mendoza Ruiz", "preferred_name": "Lucía",
                "pronouns": "ella", "date_of_birth": date(1985, 5, 14),
                "phone": "(555) 010-0151"},
               language="es"),
    DemoClient(f"client.mfa@{DEMO_DOMAIN}",
               "client with two-step sign-in, intake half done (page 2 of 7)",
               {"legal_name": "Daniel Reyes", "preferred_name": "Dani", "pronouns": "they/them",
                "date_of_birth": date(1987, 11, 3), "phone": "(555) 010-0177"},
               _half_done_intake, totp=True),
    DemoClient(f"client.unverified@{DEMO_DOMAIN}",
               "client who has not verified their email yet",
               {"legal_name": "Hannah Lindqvist", "date_of_birth": date(2000, 1, 30)},
               clinician=None, verified=False),
    DemoClient(f"client.moderate@{DEMO_DOMAIN}",
               "sent an intake with moderate scores (PHQ-9 12, GAD-7 11), reviewed; "
               "authorized release to their doctor; see who opened their record",
               {"legal_name": "Priya Natarajan", "preferred_name": "Priya",
                "pronouns": "she/her", "date_of_birth": date(1994, 8, 19),
                "phone": "(555) 010-0115"},
               _moderate_intake),
    DemoClient(f"client.alert@{DEMO_DOMAIN}",
               "intake raised a safety alert, not yet acknowledged",
               {"legal_name": "Tomás Alvarez", "pronouns": "he/him",
                "date_of_birth": date(1979, 2, 7), "phone": "(555) 010-0163"},
               _alert_intake),
    DemoClient(f"client.acknowledged@{DEMO_DOMAIN}",
               "safety alert acknowledged by Dr. Rivera, with a note",
               {"legal_name": "Grace Kim", "pronouns": "she/her",
                "date_of_birth": date(1983, 6, 25), "phone": "(555) 010-0128"},
               _acknowledged_intake),
    DemoClient(f"client.improving@{DEMO_DOMAIN}",
               "six months of fortnightly check-ins: PHQ-9 16 to 4 and GAD-7 14 to 4 "
               "(response, then remission); see My progress",
               {"legal_name": "Noah Fischer", "pronouns": "he/him",
                "date_of_birth": date(1988, 3, 17), "phone": "(555) 010-0139"},
               _improving_over_six_months),
    DemoClient(f"client.worsening@{DEMO_DOMAIN}",
               "three months of weekly check-ins: PHQ-9 7 to 15, GAD-7 6 to 12; first on "
               "Dr. Rivera's Scores page, waiting for review",
               {"legal_name": "Lena Park", "pronouns": "she/her",
                "date_of_birth": date(1990, 10, 5), "phone": "(555) 010-0194"},
               _worsening_over_three_months),
    DemoClient(f"client.withdrew@{DEMO_DOMAIN}",
               "withdrew the telehealth consent, with a reason; intake reviewed by "
               "Jordan Chen",
               {"legal_name": "Sofia Haddad", "pronouns": "she/her",
                "date_of_birth": date(1996, 12, 2), "phone": "(555) 010-0186"},
               _withdrew_telehealth, clinician=CHEN),
    DemoClient(f"client.outdated@{DEMO_DOMAIN}",
               "signed version 1 of the fees policy, since changed materially: must sign "
               "again",
               {"legal_name": "Marcus Bell", "pronouns": "he/him",
                "date_of_birth": date(1972, 9, 14), "phone": "(555) 010-0151"},
               _signed_old_fees, clinician=CHEN),
)


def play_stories() -> None:
    """Give each demo client their details, then play their story (after the accounts,
    care teams and documents exist). The fees policy changes first, so that only the client
    who signed before the change must sign again. Safe to run again: every step is done
    once."""
    for demo in DEMO_CLIENTS:
        ensure_profile(_user(demo.email), demo.profile)
    for demo in sorted(DEMO_CLIENTS, key=lambda demo: demo.story is not _signed_old_fees):
        if demo.story is not None:
            demo.story(_user(demo.email), demo.profile)
