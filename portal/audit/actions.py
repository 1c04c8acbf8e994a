"""The fixed vocabulary of audit actions.

Every action declares which detail keys it may carry. ``record_event`` refuses any other key,
so a payload cannot quietly grow a name, an email or an answer: the detail is for counts,
key ids, field names and reasons, never for what a person told us.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Action(StrEnum):
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGIN_RATE_LIMITED = "auth.login_rate_limited"
    AUTH_MFA_ENABLED = "auth.mfa_enabled"
    AUTH_MFA_REMOVED = "auth.mfa_removed"
    AUTH_MFA_RESET = "auth.mfa_reset"
    AUTH_MFA_FAILED = "auth.mfa_failed"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an action name
    AUTH_PASSWORD_RESET = "auth.password_reset"  # noqa: S105 - an action name
    AUTH_EMAIL_VERIFIED = "auth.email_verified"
    CLIENT_PROFILE_VIEWED = "client.profile_viewed"
    CLIENT_SEARCHED = "client.searched"
    CLIENT_SEARCH_RATE_LIMITED = "client.search_rate_limited"
    CLIENT_ASSIGNED = "client.assigned"
    CLIENT_UNASSIGNED = "client.unassigned"
    CLIENT_ERASED = "client.erased"
    CLIENT_PROFILE_UPDATED = "client.profile_updated"
    STAFF_NAME_CHANGED = "staff.name_changed"
    INTAKE_VIEWED = "intake.viewed"
    INTAKE_EXPORTED = "intake.exported"
    INTAKE_SUBMITTED = "intake.submitted"
    INTAKE_REVIEW_ACKNOWLEDGED = "intake.review_acknowledged"
    INTAKE_REVIEWED = "intake.reviewed"
    INTAKE_SAFETY_ALERT_SENT = "intake.safety_alert_sent"
    INTAKE_REMINDED = "intake.reminded"
    CONSENT_VIEWED = "consent.viewed"
    CONSENT_EXPORTED = "consent.exported"
    CONSENT_SIGNED = "consent.signed"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    CONSENT_REMINDED = "consent.reminded"
    DOCUMENT_PUBLISHED = "document.published"
    DOCUMENT_REQUIREMENT_CHANGED = "document.requirement_changed"
    QUESTIONNAIRE_DRAFT_STARTED = "questionnaire.draft_started"
    QUESTIONNAIRE_DRAFT_DISCARDED = "questionnaire.draft_discarded"
    QUESTIONNAIRE_PUBLISHED = "questionnaire.published"
    QUESTIONNAIRE_ASSIGNED = "questionnaire.assigned"
    INVITATION_SENT = "invitation.sent"
    INVITATION_RESENT = "invitation.resent"
    INVITATION_REVOKED = "invitation.revoked"
    INVITATION_ACCEPTED = "invitation.accepted"
    PRACTICE_SETTINGS_CHANGED = "practice.settings_changed"
    KEYS_ROTATED = "keys.rotated"
    KEYS_REENCRYPTED = "keys.reencrypted"
    AUDIT_EXPORTED = "audit.exported"
    MAIL_GAVE_UP = "mail.gave_up"
    MAIL_RETRIED = "mail.retried"
    AUDIT_ALERTS_ACKNOWLEDGED = "audit.alerts_acknowledged"
    CASE_CREATED = "case.created"
    CASE_PARTICIPANT_ADDED = "case.participant_added"
    CASE_PARTICIPANT_REMOVED = "case.participant_removed"
    CASE_ASSIGNED = "case.assigned"
    CASE_UNASSIGNED = "case.unassigned"
    CASE_GUARDIAN_LINKED = "case.guardian_linked"
    CASE_GUARDIAN_ATTESTED = "case.guardian_attested"
    CASE_VIEWED = "case.viewed"
    INTAKE_SHARED_VIEWED = "intake.shared_viewed"
    CASE_GUARDIANSHIP_READ = "case.guardianship_read"
    CASE_EXPORTED = "case.exported"
    CONSENT_SET_COMPLETED = "consent.set_completed"
    CONSENT_SET_WITHDRAWN = "consent.set_withdrawn"
    CONSENT_SET_REQUESTED = "consent.set_requested"
    CONSENT_JOINT_DETAILS_READ = "consent.joint_details_read"
    CONSENT_COUNTERSIGNED = "consent.countersigned"
    DOCUMENT_COUNTERSIGN_CHANGED = "document.countersign_changed"
    # Measures over time (issue 18): safety alerts beyond intakes, check-ins.
    INTAKE_SAFETY_ALERT_VIEWED = "intake.safety_alert_viewed"
    MEASURES_SCHEDULE_SET = "measures.schedule_set"
    MEASURES_SCHEDULE_ENDED = "measures.schedule_ended"
    MEASURES_REMINDERS_PAUSED = "measures.reminders_paused"
    MEASURES_REMINDERS_RESUMED = "measures.reminders_resumed"
    MEASURES_CHECK_IN_COMPLETED = "measures.check_in_completed"
    MEASURES_CHECK_IN_REMINDED = "measures.check_in_reminded"
    MEASURES_TREND_VIEWED = "measures.trend_viewed"
    MEASURES_CASELOAD_VIEWED = "measures.caseload_viewed"
    MEASURES_EXPORTED = "measures.exported"
    MEASURES_REVIEW_FLAG_CLEARED = "measures.review_flag_cleared"


@dataclass(frozen=True)
class ActionSpec:
    """What an action means, in staff words and (for record access) in the client's words.
    Both are kept translatable and read as text in the language active when they are asked
    for (``label``, ``client_sentence``), so the page showing them chooses the language."""

    words: StrOrPromise
    detail_keys: frozenset[str] = frozenset()
    # Shown on the client's "Who has opened my record" page when a staff member did it: one
    # whole sentence per action, "%(person)s opened your intake", where ``person`` is the
    # staff member as the client knows them ("Dr. Lee (Clinician)"), so that each language
    # puts the words in its own order.
    client_words: StrOrPromise | None = None
    # Security events keep the IP address and user agent even when a client is the actor.
    security: bool = False

    @property
    def label(self) -> str:
        """The action in staff words, in the active language."""
        return str(self.words)

    @property
    def client_sentence(self) -> str:
        """The client's sentence with its ``%(person)s`` placeholder, in the active
        language; "" for an action that is not a record access."""
        return "" if self.client_words is None else str(self.client_words)


def _spec(label: StrOrPromise, *keys: str, client_sentence: StrOrPromise | None = None,
          security: bool = False) -> ActionSpec:
    return ActionSpec(label, frozenset(keys), client_sentence, security)


ACTIONS: dict[Action, ActionSpec] = {
    Action.AUTH_LOGIN: _spec(_("Signed in"), "method", security=True),
    Action.AUTH_LOGOUT: _spec(_("Signed out"), security=True),
    Action.AUTH_LOGIN_FAILED: _spec(_("Sign-in failed"), "account_exists", security=True),
    # A password attempt refused unchecked because too many failed recently (allauth's
    # ``login_failed`` limit): which allowances were used up ("ip", "key"), never the address.
    Action.AUTH_LOGIN_RATE_LIMITED: _spec(_("Sign-in refused: too many attempts"),
                                          "account_exists", "limits", security=True),
    Action.AUTH_MFA_ENABLED: _spec(_("Two-factor method added"), "kind", security=True),
    Action.AUTH_MFA_REMOVED: _spec(_("Two-factor method removed"), "kind", security=True),
    Action.AUTH_MFA_RESET: _spec(_("Recovery codes regenerated"), "kind", security=True),
    Action.AUTH_MFA_FAILED: _spec(_("Two-factor code refused"), "kind", "reauthentication",
                                  security=True),
    Action.AUTH_PASSWORD_CHANGED: _spec(_("Password changed"), "first_password", security=True),
    Action.AUTH_PASSWORD_RESET: _spec(_("Password reset by email link"), security=True),
    Action.AUTH_EMAIL_VERIFIED: _spec(_("Email address verified"), security=True),
    Action.CLIENT_PROFILE_VIEWED: _spec(
        _("Client profile opened"), client_sentence=_("%(person)s opened your contact details")
    ),
    # A search decrypts the searched field of each candidate: recorded with what was searched
    # (name, date_of_birth or phone) and how many clients were found, never the term itself.
    Action.CLIENT_SEARCHED: _spec(_("Clients searched"), "by", "results"),
    # A search refused by the per-minute limit: nothing was decrypted. Many in a row look
    # like someone trying names to list the practice's clients.
    Action.CLIENT_SEARCH_RATE_LIMITED: _spec(_("Client search refused: too many searches"),
                                             security=True),
    Action.CLIENT_ASSIGNED: _spec(_("Clinician assigned to client")),
    Action.CLIENT_UNASSIGNED: _spec(_("Clinician unassigned from client")),
    Action.CLIENT_ERASED: _spec(_("Client erased (data keys destroyed)"), "keys_destroyed"),
    # Which fields changed and where from (the intake, or the client's details page), never
    # their values.
    Action.CLIENT_PROFILE_UPDATED: _spec(_("Client details updated"), "fields", "source"),
    Action.STAFF_NAME_CHANGED: _spec(_("Staff display name changed")),
    Action.INTAKE_VIEWED: _spec(_("Intake opened"),
                                client_sentence=_("%(person)s opened your intake")),
    Action.INTAKE_EXPORTED: _spec(
        _("Intake exported"), "format",
        client_sentence=_("%(person)s downloaded a copy of your intake"),
    ),
    # No flag or score here: the trail outlives erasure, health details must not.
    Action.INTAKE_SUBMITTED: _spec(_("Intake submitted")),
    # Ids only: the acknowledgement's note is clinical content, kept encrypted on the intake.
    Action.INTAKE_REVIEW_ACKNOWLEDGED: _spec(_("Safety alert acknowledged")),
    Action.INTAKE_REVIEWED: _spec(_("Intake marked reviewed")),
    # One per email: to which staff account (an id) and why now ("submitted", or
    # "draft_unsent" when a flagged draft waited past the practice's setting). No answer.
    Action.INTAKE_SAFETY_ALERT_SENT: _spec(_("Safety alert emailed"), "recipient", "trigger"),
    # The scheduled reminder that an unsent intake is waiting: which one of at most the
    # practice's number it was ("reminder"), nothing else.
    Action.INTAKE_REMINDED: _spec(_("Intake reminder sent"), "reminder"),
    Action.CONSENT_VIEWED: _spec(_("Consent record opened"),
                                 client_sentence=_("%(person)s opened your consent records")),
    Action.CONSENT_EXPORTED: _spec(
        _("Consent evidence exported"), "format",
        client_sentence=_("%(person)s downloaded a copy of your consent records"),
    ),
    Action.CONSENT_SIGNED: _spec(_("Consent signed"), "version"),
    Action.CONSENT_WITHDRAWN: _spec(_("Consent withdrawn"), "version"),
    # An admin's reminder of what is left to sign (no detail), or the scheduled one that a
    # signature ends soon (detail kind "expiry"; the target is the signature).
    Action.CONSENT_REMINDED: _spec(_("Consent reminder sent"), "kind"),
    Action.DOCUMENT_PUBLISHED: _spec(_("Consent document published"), "version"),
    Action.DOCUMENT_REQUIREMENT_CHANGED: _spec(_("When a consent is needed changed"),
                                               "requirement", "previous"),
    # The questionnaire builder: which questionnaire and version, never its words.
    Action.QUESTIONNAIRE_DRAFT_STARTED: _spec(_("Questionnaire draft started"), "slug",
                                              "based_on"),
    Action.QUESTIONNAIRE_DRAFT_DISCARDED: _spec(_("Questionnaire draft discarded"), "slug"),
    Action.QUESTIONNAIRE_PUBLISHED: _spec(_("Questionnaire published"), "slug", "version",
                                          "origin"),
    # Which questionnaire new intakes of a kind start on ("kind": individual, partner,
    # adult, adolescent), and the one before.
    Action.QUESTIONNAIRE_ASSIGNED: _spec(_("Questionnaire chosen for new intakes"), "kind",
                                         "slug", "previous"),
    Action.INVITATION_SENT: _spec(_("Invitation sent")),
    Action.INVITATION_RESENT: _spec(_("Invitation re-sent")),
    Action.INVITATION_REVOKED: _spec(_("Invitation withdrawn")),
    Action.INVITATION_ACCEPTED: _spec(_("Invitation accepted")),
    Action.PRACTICE_SETTINGS_CHANGED: _spec(_("Practice settings changed"), "fields"),
    Action.KEYS_ROTATED: _spec(_("Data keys re-wrapped"), "master_key_id", "rewrapped"),
    Action.KEYS_REENCRYPTED: _spec(_("Client data re-encrypted"), "owners", "rows"),
    # An email the queue stopped trying to send: its kind (a template's name), how many
    # attempts, and the last error's class; never the address or the words.
    Action.MAIL_GAVE_UP: _spec(_("Email given up"), "kind", "attempts", "error"),
    Action.MAIL_RETRIED: _spec(_("Email sent again by hand"), "kind", "attempts"),
    Action.AUDIT_EXPORTED: _spec(_("Audit trail exported"), "rows", "filtered"),
    # An operator has looked into the trail's alerts (``verify_audit_log``): how many.
    Action.AUDIT_ALERTS_ACKNOWLEDGED: _spec(_("Audit trail alerts acknowledged"), "alerts"),
    # Couples and families: the case is the target; the subject is the person concerned
    # (the participant added or removed, the child a guardian is linked to). The kind and
    # roles are workflow words, never a name.
    Action.CASE_CREATED: _spec(_("Case created"), "kind"),
    Action.CASE_PARTICIPANT_ADDED: _spec(_("Person added to a case"), "role", "invited"),
    Action.CASE_PARTICIPANT_REMOVED: _spec(_("Person removed from a case"), "role"),
    Action.CASE_ASSIGNED: _spec(_("Clinician assigned to case")),
    Action.CASE_UNASSIGNED: _spec(_("Clinician unassigned from case")),
    Action.CASE_GUARDIAN_LINKED: _spec(_("Guardian linked to a child")),
    Action.CASE_GUARDIAN_ATTESTED: _spec(_("Guardian confirmed their authority")),
    # The guardian read the relationship and authority on record (sealed under the
    # child's key) to confirm them.
    Action.CASE_GUARDIANSHIP_READ: _spec(_("Guardian read their recorded authority")),
    # The case as FHIR (its people, and what each guardian stated about a child): one event
    # per child whose details it holds, with the format.
    Action.CASE_EXPORTED: _spec(_("Case exported"), "format",
                                client_sentence=_("%(person)s downloaded a copy of your "
                                                  "family's case")),
    # A staff member opened a case side by side: one event per participant whose record
    # was decrypted, so each person's "Who has opened my record" lists their own only.
    Action.CASE_VIEWED: _spec(_("Case record opened"),
                              client_sentence=_("%(person)s opened your part of a shared case")),
    # A partner (or guardian) read the answers this person chose to share with them.
    Action.INTAKE_SHARED_VIEWED: _spec(_("Shared answers read by a case member")),
    # A consent several people sign (a child's guardians): every required signer has
    # signed (how many), or one withdrew and it stopped counting (how many others were
    # emailed). The target is the set; the subject the person it is for.
    Action.CONSENT_SET_COMPLETED: _spec(_("Consent signed by every required signer"),
                                        "signers"),
    Action.CONSENT_SET_WITHDRAWN: _spec(_("Consent with several signers withdrawn"), "told"),
    # A practice admin asked both partners of a couple case to sign a release of their
    # joint record (how many signers); a partner read the details the other partner
    # stated on it, before signing the same (the subject is the partner who wrote them).
    Action.CONSENT_SET_REQUESTED: _spec(_("Joint authorization requested"), "signers"),
    Action.CONSENT_JOINT_DETAILS_READ: _spec(_("Joint authorization read by the other partner")),
    # A clinician of the care team countersigned a client's signature (the set is the
    # target); a practice admin changed whether a document is countersigned.
    Action.CONSENT_COUNTERSIGNED: _spec(_("Consent countersigned by a clinician")),
    Action.DOCUMENT_COUNTERSIGN_CHANGED: _spec(_("Whether a consent is countersigned changed"),
                                               "required"),
    # Measures over time (issue 18). A staff member read a check-in's safety alert and the
    # care team's notes on it (decrypted); the alert is the target.
    Action.INTAKE_SAFETY_ALERT_VIEWED: _spec(
        _("Safety alert opened"),
        client_sentence=_("%(person)s opened a safety alert from your check-in")),
    # A clinician set a client's check-in schedule (how often, which instruments: slugs,
    # never an answer), or ended it; the schedule is the target.
    Action.MEASURES_SCHEDULE_SET: _spec(_("Check-in schedule set"), "frequency", "instruments"),
    Action.MEASURES_SCHEDULE_ENDED: _spec(_("Check-in schedule ended")),
    # The client paused or resumed their check-in reminders.
    Action.MEASURES_REMINDERS_PAUSED: _spec(_("Check-in reminders paused")),
    Action.MEASURES_REMINDERS_RESUMED: _spec(_("Check-in reminders resumed")),
    # The client sent a check-in: how many instruments were answered and declined; no score.
    Action.MEASURES_CHECK_IN_COMPLETED: _spec(_("Check-in completed"), "answered", "declined"),
    # The scheduled reminder that a check-in waits: which one of at most the practice's
    # number it was.
    Action.MEASURES_CHECK_IN_REMINDED: _spec(_("Check-in reminder sent"), "reminder"),
    # Measures over time: a staff member opened a client's scores over time (which
    # instrument), or their caseload, which shows each listed client's latest score (one
    # event per client, recorded in one batch); a client's scores exported (the format;
    # the client downloading their own is recorded too, as their intake's copy is); a
    # clinician marked a deterioration reviewed.
    Action.MEASURES_TREND_VIEWED: _spec(_("Scores over time opened"), "instrument",
                                        client_sentence=_("%(person)s opened your check-in "
                                                          "scores")),
    Action.MEASURES_CASELOAD_VIEWED: _spec(
        _("Caseload of scores opened"),
        client_sentence=_("%(person)s saw your latest check-in score on their caseload")),
    Action.MEASURES_EXPORTED: _spec(_("Scores over time exported"), "format",
                                    client_sentence=_("%(person)s downloaded a copy of your "
                                                      "scores")),
    Action.MEASURES_REVIEW_FLAG_CLEARED: _spec(_("Worsening score marked reviewed")),
}

# Staff opening or exporting what a client told us: the client's "Who has opened my record".
RECORD_ACCESS_ACTIONS = frozenset(action for action, spec in ACTIONS.items()
                                  if spec.client_words is not None)


# Sign-ins, failures and second-factor changes: for practice admins, not for a client's
# clinician (who needs to know who opened the record, not where the client signs in from).
SECURITY_ACTIONS = frozenset(action for action, spec in ACTIONS.items() if spec.security)


def spec_for(action: str) -> ActionSpec:
    """The action's spec; an unknown action is a programming error, never recorded."""
    try:
        return ACTIONS[Action(action)]
    except ValueError:
        raise ValueError(f"Unknown audit action {action!r}") from None
