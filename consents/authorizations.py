"""Authorizations to release information: the details a valid one must hold, the statements
it must carry, and signing one.

An authorization is a signature of the current "release_authorization" version plus a
``ReleaseAuthorization`` row with what it allows. HIPAA (45 CFR 164.508(c)) makes it
invalid without: a specific description of the information; who may disclose it; who may
receive it; the purpose ("at the request of the individual" is enough); an expiry date or
event; the signature and date; and statements of the right to revoke (and how), that
treatment is not conditioned on signing, and that the recipient may redisclose it. 42 CFR
2.31 adds, for substance use disorder (SUD) records, an explicit description of that
information and a notice of the limits on its use against the client. A client may hold any
number of authorizations (one per recipient, say), each revoked on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, ngettext

from consents.models import ConsentSignature, DocumentKind, ReleaseAuthorization, SignerSet
from consents.services import SigningError, check_signing, store_signature
from portal.crypto.blind_index import normalise_name
from portal.models import User
from portal.text import visible_length

# Shown above the signature on every authorization and kept with it, word for word, in the
# language the signer read them in (``statements_for`` translates; the constants are English).
STATEMENT_REVOKE = gettext_noop(
    "You may revoke this authorization at any time, in writing: on the \"My consents\" page "
    "of this portal, or by a signed letter or email to the practice. Revoking stops any "
    "further disclosure from the time the practice receives it, but it cannot undo a "
    "disclosure already made in reliance on this authorization."
)
STATEMENT_NOT_CONDITIONED = gettext_noop(
    "The practice will not condition your treatment, payment, enrollment in a health plan "
    "or eligibility for benefits on whether you sign this authorization."
)
STATEMENT_REDISCLOSURE = gettext_noop(
    "Information disclosed under this authorization may be redisclosed by the recipient, "
    "and may then no longer be protected by federal privacy law."
)
STATEMENT_SUBSTANCE_USE = gettext_noop(
    "Substance use disorder records are protected by federal law (42 CFR Part 2). Records "
    "disclosed under this authorization may not be used or disclosed in any civil, "
    "criminal, administrative or legislative investigation or proceeding against you, "
    "unless you give separate written consent or a court orders it under that law."
)
REQUIRED_STATEMENTS = (STATEMENT_REVOKE, STATEMENT_NOT_CONDITIONED, STATEMENT_REDISCLOSURE)

# Longest authorization the form accepts: a longer one is far more likely a typo.
MAX_YEARS = 25
LIMITS = {
    "information": 2000,
    "substance_use_information": 2000,
    "discloser": 500,
    "recipient": 1000,
    "purpose": 1000,
    "expiry_event": 500,
}
# Descriptions too general for SUD records under 42 CFR 2.31 ("how much and what kind").
GENERIC_DESCRIPTIONS = frozenset({
    "all", "any", "everything", "all records", "all my records", "my records", "records",
    "all information", "all of it", "any records", "any information", "my whole record",
    "whole record", "entire record", "my entire record", "all of my records", "na", "n a",
    "none", "yes",
    # The same in Spanish, as a Spanish-reading client might answer (accents dropped).
    "todo", "todos", "toda", "todas", "cualquiera", "cualquier cosa", "todo el expediente",
    "todos los expedientes", "todos mis expedientes", "mis expedientes", "expedientes",
    "mi expediente", "expediente completo", "mi expediente completo", "todo mi expediente",
    "toda la informacion", "toda mi informacion", "cualquier informacion",
    "cualquier expediente", "informacion", "no aplica", "ninguno", "ninguna", "nada", "si",
})


def statements_for(includes_substance_use: bool) -> tuple[str, ...]:
    """The statements an authorization must carry (the SUD notice only when it covers
    SUD records), in the active language."""
    english = REQUIRED_STATEMENTS + ((STATEMENT_SUBSTANCE_USE,) if includes_substance_use
                                     else ())
    return tuple(gettext(statement) for statement in english)


@dataclass(frozen=True)
class AuthorizationDetails:
    """What the client filled in (already stripped)."""

    information: str
    discloser: str
    recipient: str
    purpose: str
    expires_on: date | None
    expiry_event: str
    includes_substance_use: bool = False
    substance_use_information: str = ""


class IncompleteAuthorization(SigningError):
    """An element the law requires is missing or unusable; ``errors`` maps each form field
    to a plain-words message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(gettext("Please complete the parts of the authorization marked below."))
        self.errors = errors


class DuplicateSubmission(SigningError):
    """The same authorization form was sent twice at the same moment; the first counts."""

    def __init__(self) -> None:
        super().__init__(gettext("This authorization was already sent. Please check My "
                                 "consents."))


def _tidy(value: str) -> str:
    return " ".join(value.split())


def authorization_errors(
    details: AuthorizationDetails, *, typed_name: str, agreed: bool, today: date | None = None
) -> dict[str, str]:
    """Every required element that is missing or unusable, by form field (empty: complete).
    ``today`` is the practice-local date."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    required = {
        "information": gettext("Please describe the information that may be shared."),
        "discloser": gettext("Please say who may share the information."),
        "recipient": gettext("Please name the person or organization who may receive it."),
        "purpose": gettext('Please say why it is being shared. "At my request" is enough.'),
    }
    for name, message in required.items():
        # Counted in characters a reader can see: zero-width or direction marks alone
        # would print as a blank on the copy.
        if visible_length(getattr(details, name)) < 2:
            errors[name] = message
    for name, limit in LIMITS.items():
        value = getattr(details, name)
        if name not in errors and len(value) > limit:
            errors[name] = ngettext(
                "Please keep this to %(limit)s character.",
                "Please keep this to %(limit)s characters.", limit,
            ) % {"limit": number_format(limit, force_grouping=True)}
    if details.expires_on is None and not _tidy(details.expiry_event):
        errors["expires_on"] = gettext(
            "Please give a date or an event when this authorization ends (for example, "
            '"when my treatment ends").'
        )
    elif details.expires_on is not None and details.expires_on <= today:
        errors["expires_on"] = gettext("The end date must be after today.")
    elif details.expires_on is not None and details.expires_on.year > today.year + MAX_YEARS:
        errors["expires_on"] = ngettext(
            "Please choose an end date within %(years)s year.",
            "Please choose an end date within %(years)s years.", MAX_YEARS,
        ) % {"years": MAX_YEARS}
    if details.includes_substance_use:
        described = normalise_name(details.substance_use_information)
        if not described or described in GENERIC_DESCRIPTIONS:
            errors["substance_use_information"] = gettext(
                "Please describe which substance use treatment information may be shared "
                '(for example, "dates of attendance and diagnosis"). "All records" is not '
                "enough for these records."
            )
    if not _tidy(typed_name):
        errors["typed_name"] = gettext("Please type your full name to sign.")
    if not agreed:
        errors["agreed"] = gettext("Please tick the box to show that you agree.")
    return errors


@transaction.atomic
def authorization_sign(
    *,
    client: User,
    version_id: Any,
    expected_sha256: str,
    typed_name: str,
    agreed: bool,
    details: AuthorizationDetails,
    submission: uuid.UUID,
    representative_name: str = "",
    representative_authority: str = "",
    signer_set: SignerSet | None = None,
) -> ConsentSignature:
    """Sign an authorization to release information: refuse it, naming every missing or
    unusable element (``IncompleteAuthorization``), or on the checks every signature passes
    (``check_signing``); else store the signature (ending on ``details.expires_on``, if
    given) and the encrypted details with the statements shown. ``submission`` is the
    form's one-time id: the same form sent twice returns the first signature, while a new
    form makes a new, separate authorization. With ``signer_set`` it is one signature of
    an authorization several people sign (``consents.joint_release``)."""
    errors = authorization_errors(details, typed_name=typed_name, agreed=agreed)
    if errors:
        raise IncompleteAuthorization(errors)
    checked = check_signing(
        client=client, version_id=version_id, expected_sha256=expected_sha256,
        typed_name=typed_name, agreed=agreed, representative_name=representative_name,
        representative_authority=representative_authority,
    )
    if checked.version.document.kind != DocumentKind.RELEASE_AUTHORIZATION:
        raise SigningError(gettext("This document is not an authorization to release "
                                   "information."))
    earlier = ReleaseAuthorization.objects.filter(client=client, submission=submission).first()
    if earlier is not None:
        return earlier.signature
    signature = store_signature(client=client, checked=checked, expires_on=details.expires_on,
                                signer_set=signer_set)
    try:
        with transaction.atomic():
            ReleaseAuthorization.objects.create(
                client=client,
                signature=signature,
                submission=submission,
                information=details.information.strip(),
                includes_substance_use=details.includes_substance_use,
                substance_use_information=(
                    details.substance_use_information.strip()
                    if details.includes_substance_use else None
                ) or None,
                discloser=_tidy(details.discloser),
                recipient=details.recipient.strip(),
                purpose=details.purpose.strip(),
                expiry_event=_tidy(details.expiry_event) or None,
                required_statements="\n\n".join(statements_for(details.includes_substance_use)),
            )
    except IntegrityError:
        # The same form, sent twice at once: the other request won. Raising undoes this
        # signature and its audit event with the transaction.
        raise DuplicateSubmission from None
    return signature

