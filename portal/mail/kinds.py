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

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Translatable (lazy): read in the language of the admin's page.
KIND_LABELS: dict[str, str | Promise] = {
    # The platform's own.
    "portal/email/invitation": _("Invitation to the portal"),
    # Cases.
    "clients/email/added_to_case": _("Added to a couple or family case"),
    # Intake.
    "intake/email/safety_alert": _("Safety alert to the care team"),
    "intake/email/check_in_safety_alert": _("Safety alert to the care team (check-in)"),
    "intake/email/submitted_client": _("Intake received (to the client)"),
    "intake/email/submitted_practice": _("New intake (to the practice)"),
    "intake/email/reminder": _("Reminder: intake not yet sent"),
    # Measures over time.
    "measures/email/check_in_reminder": _("Reminder: a check-in is waiting"),
    # Consents.
    "consents/email/reminder": _("Consent reminder"),
    "consents/email/expiry_reminder": _("Reminder: a signature ends soon"),
    "consents/email/co_signer_withdrew": _("Notice: a consent signed with others was withdrawn"),
    "consents/email/signature_requested": _("Request: a document to sign with a partner"),
    # allauth: signing in and the account's address.
    "account/email/login_code": _("Sign-in code"),
    "account/email/email_confirmation": _("Email address confirmation"),
    "account/email/email_confirmation_signup": _("Email address confirmation (new account)"),
    "account/email/email_confirm": _("Email address confirmation code"),
    "account/email/unknown_account": _("Notice: no account for this address"),
    "account/email/account_already_exists": _("Notice: account already exists"),
    # allauth: passwords.
    "account/email/password_reset": _("Password reset"),
    "account/email/password_reset_key": _("Password reset link"),
    "account/email/password_reset_code": _("Password reset code"),
    # allauth: security notices.
    "account/email/password_changed": _("Security notice: password changed"),
    "account/email/password_set": _("Security notice: password set"),
    "account/email/email_changed": _("Security notice: email address changed"),
    "account/email/email_deleted": _("Security notice: email address removed"),
    "mfa/email/totp_activated": _("Security notice: authenticator app added"),
    "mfa/email/totp_deactivated": _("Security notice: authenticator app removed"),
    "mfa/email/recovery_codes_generated": _("Security notice: new recovery codes"),
    "mfa/email/webauthn_added": _("Security notice: security key added"),
    "mfa/email/webauthn_removed": _("Security notice: security key removed"),
}

UNKNOWN_KIND = _("Other email")


def kind_label(template: str) -> str:
    """The label of the email written from ``template``; ``UNKNOWN_KIND`` for a template
    this table does not know (a page never fails on a row, and the test above keeps the
    table complete), in the active language."""
    return str(KIND_LABELS.get(template, UNKNOWN_KIND))
