"""What each email the portal sends is called, for people: the "Kind" column of the
"Outgoing messages" page.

An admin deciding whether to press "Retry" needs to know what kind of email it was (an
invitation, a password reset, a safety alert) without reading it: the outbox row keeps the
template's name in plaintext, and this table turns it into words. One label per email
template the portal can send: its own (``templates/<app>/email/``) and allauth's account
and two-factor mail (allauth's templates, some overridden in ``templates/account/email/``).
``tests/portal/test_outgoing_messages.py`` fails when a template has no label here.

Template names are plain strings: the platform imports no feature app to know them.
"""

from __future__ import annotations

KIND_LABELS: dict[str, str] = {
    # The platform's own.
    "portal/email/invitation": "Invitation to the portal",
    # Cases.
    "clients/email/added_to_case": "Added to a couple or family case",
    # Intake.
    "intake/email/safety_alert": "Safety alert to the care team",
    "intake/email/check_in_safety_alert": "Safety alert to the care team (check-in)",
    "intake/email/submitted_client": "Intake received (to the client)",
    "intake/email/submitted_practice": "New intake (to the practice)",
    "intake/email/reminder": "Reminder: intake not yet sent",
    # Measures over time.
    "measures/email/check_in_reminder": "Reminder: a check-in is waiting",
    # Consents.
    "consents/email/reminder": "Consent reminder",
    "consents/email/expiry_reminder": "Reminder: a signature ends soon",
    "consents/email/co_signer_withdrew": "Notice: a consent signed with others was withdrawn",
    "consents/email/signature_requested": "Request: a document to sign with a partner",
    # allauth: signing in and the account's address.
    "account/email/login_code": "Sign-in code",
    "account/email/email_confirmation": "Email address confirmation",
    "account/email/email_confirmation_signup": "Email address confirmation (new account)",
    "account/email/email_confirm": "Email address confirmation code",
    "account/email/unknown_account": "Notice: no account for this address",
    "account/email/account_already_exists": "Notice: account already exists",
    # allauth: passwords.
    "account/email/password_reset": "Password reset",
    "account/email/password_reset_key": "Password reset link",
    "account/email/password_reset_code": "Password reset code",
    # allauth: security notices.
    "account/email/password_changed": "Security notice: password changed",
    "account/email/password_set": "Security notice: password set",
    "account/email/email_changed": "Security notice: email address changed",
    "account/email/email_deleted": "Security notice: email address removed",
    "mfa/email/totp_activated": "Security notice: authenticator app added",
    "mfa/email/totp_deactivated": "Security notice: authenticator app removed",
    "mfa/email/recovery_codes_generated": "Security notice: new recovery codes",
    "mfa/email/webauthn_added": "Security notice: security key added",
    "mfa/email/webauthn_removed": "Security notice: security key removed",
}

UNKNOWN_KIND = "Other email"


def kind_label(template: str) -> str:
    """The label of the email written from ``template``; ``UNKNOWN_KIND`` for a template
    this table does not know (a page never fails on a row, and the test above keeps the
    table complete)."""
    return KIND_LABELS.get(template, UNKNOWN_KIND)
