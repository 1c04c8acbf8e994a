"""The practice's settings: one row, read once per request (``portal.practice``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from portal.models.cases import SecretsPolicy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

DOCUMENT_SETTING_HELP = _("Used in the consent documents.")


def _document_text(verbose_name: StrOrPromise, help_text: StrOrPromise, *,
                   max_length: int = 120) -> Any:
    """A practice setting the consent documents quote, as words (blank until filled). Its
    help is two whole sentences, each translated: what to write, then where it is used."""
    return models.CharField(verbose_name, max_length=max_length, blank=True,
                            help_text=format_lazy("{} {}", help_text, DOCUMENT_SETTING_HELP))


def _document_number(verbose_name: StrOrPromise, low: int, high: int,
                     help_text: StrOrPromise) -> Any:
    """A practice setting the consent documents quote, as a whole number (empty until
    filled)."""
    return models.PositiveSmallIntegerField(
        verbose_name, null=True, blank=True,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=format_lazy("{} {} {}", help_text,
                              format_lazy(_("From {low} to {high}."), low=low, high=high),
                              DOCUMENT_SETTING_HELP),
    )


# The settings whose wording depends on the reader's language. Each model field holds the
# wording in the portal's default language (``settings.LANGUAGE_CODE``); the practice writes
# the others in ``in_other_languages``. Amounts, numbers, names and addresses read the same
# in every language and have one value.
WORDED_SETTINGS = (
    "crisis_text", "paper_copy_fee", "longer_session_fee", "letters_fee",
    "late_cancellation_fee", "payment_due", "payment_methods", "insurance_networks",
)

# Marked for translation but stored in English: a practice that keeps the default shows it
# in each reader's language (``crisis_text_for_reader``).
DEFAULT_CRISIS_TEXT = gettext_noop(
    "If you are in crisis or thinking about ending your life, call or text 988 "
    "(the Suicide & Crisis Lifeline, US) or chat at 988lifeline.org. "
    "If you are in immediate danger, call 911 or go to your nearest emergency room. "
    "This portal is not monitored around the clock."
)


# The copy of the settings row every app server reads (``portal.practice``), and what a
# write leaves in its place for a few seconds.
SHARED_KEY = "portal:practice-settings:v1"  # names no one: the same for every visitor
SHARED_SECONDS = 60
TOMBSTONE = "written"
TOMBSTONE_SECONDS = 5


def _bury() -> None:
    try:
        cache.set(SHARED_KEY, TOMBSTONE, TOMBSTONE_SECONDS)
    except Exception:
        logger.warning("Practice settings written; the cache did not answer, so app servers "
                       "may read the old settings for up to %s s.", SHARED_SECONDS)


def _forget_shared_copy() -> None:
    """After any write to the settings row: the shared copy is replaced by a tombstone now
    and again when the write commits (``portal.practice`` says why)."""
    _bury()
    transaction.on_commit(_bury)


class PracticeSettingsQuerySet(models.QuerySet["PracticeSettings"]):
    """Writes in bulk, like ``save``, drop the copy every app server reads
    (``portal.practice``)."""

    def update(self, **kwargs: Any) -> int:
        changed = super().update(**kwargs)
        _forget_shared_copy()
        return changed

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        _forget_shared_copy()
        return deleted


class PracticeSettings(models.Model):
    """The one row of settings for the practice this deployment serves. Pages read it
    through ``portal.practice.practice_for`` (a copy shared by the app servers, dropped on
    every write: ``save``, ``delete`` and the queryset's ``update`` and ``delete``)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    name = models.CharField(_("practice name"), max_length=120, default="Our practice")
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    address = models.TextField(
        _("postal address"), max_length=500, blank=True,
        help_text=_("Where clients can write to the practice."),
    )
    crisis_text = models.TextField(
        max_length=1000,
        default=DEFAULT_CRISIS_TEXT,
        help_text=_("Shown to clients on every page. Say how to get help right now."),
    )
    self_signup_enabled = models.BooleanField(
        default=False,
        help_text=_("Let people create an account without an invitation."),
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text=_("Sign people out after this many minutes without activity (5 to 120)."),
    )
    safety_alert_draft_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("When an unsent intake raises a safety alert, email the care team after "
                    "this many hours (1 to 168)."),
    )
    # Reminders (``intake.reminders``, ``consents.expiry_reminders``): emails that say only
    # that something is waiting, sent by the scheduled jobs of the same names.
    intake_reminders_enabled = models.BooleanField(
        default=False,
        help_text=_("Email clients who started their intake and have not come back to it."),
    )
    intake_reminder_after_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("The first reminder goes this many days after the client last opened "
                    "their intake (1 to 30)."),
    )
    intake_reminder_every_days = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Then again every this many days while they stay away (1 to 30)."),
    )
    intake_reminder_max = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Never more than this many reminders for one intake (1 to 10)."),
    )
    consent_expiry_reminder_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Email a client this many days before an authorization they signed ends, "
                    "once per authorization (1 to 90)."),
    )
    # Measures over time (``measures``): check-ins between sessions and what clients see.
    clients_see_scores = models.BooleanField(
        default=True,
        help_text=_("Show clients their own scores and trends. Turn off if your clinicians "
                    "prefer to discuss scores in session."),
    )
    check_in_answers_required = models.BooleanField(
        default=False,
        help_text=_("Ask clients to answer every check-in question (no \"I'd rather not "
                    "answer today\")."),
    )
    check_in_open_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("A check-in left unanswered this many days after it is due shows as "
                    "missed (1 to 28)."),
    )
    check_in_reminder_max = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text=_("Reminder emails for one check-in, the first when it is due (0 to 5)."),
    )
    reliable_change_phq9 = models.PositiveSmallIntegerField(
        _("reliable change on the PHQ-9"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(27)],
        help_text=_("A PHQ-9 change of at least this many points from the first score counts "
                    "as reliable improvement or deterioration (default 6)."),
    )
    reliable_change_gad7 = models.PositiveSmallIntegerField(
        _("reliable change on the GAD-7"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(21)],
        help_text=_("A GAD-7 change of at least this many points from the first score counts "
                    "as reliable improvement or deterioration (default 4)."),
    )
    # Couples and families (``portal.models.cases``).
    secrets_policy = models.CharField(
        max_length=16, default=SecretsPolicy.NO_SECRETS, choices=SecretsPolicy.choices,
        help_text=_("What the clinician does with something one partner or family member "
                    "says alone. Each adult of a couple or family case signs the matching "
                    "consent before their intake; a case may override it."),
    )
    adolescent_account_age = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(10), MaxValueValidator(17)],
        help_text=_("From this age a child in a family case may have their own account, "
                    "sign an assent and keep sections private from their guardians (10 to "
                    "17)."),
    )
    # What the consent documents say about the practice (``consents.placeholders`` puts
    # each into its placeholder when a version is drafted). Blank: the placeholder stays in
    # the draft, and publishing is refused until someone fills it in.
    paper_copy_fee = _document_text(
        _("paper copy fee"),
        _('How "Paper copies are ..." ends, for example "free of charge" or "$1 per '
          'document".'),
    )
    intake_fee = _document_text(_("intake assessment fee"), _("For example $180."))
    session_fee = _document_text(_("session fee"), _("For example $150."))
    session_minutes = _document_number(
        _("session length in minutes"), 10, 240,
        _("How long a usual session lasts, for example 50."),
    )
    longer_session_fee = _document_text(
        _("longer session fee"), _("For example $75 for each additional 25 minutes."),
    )
    letters_fee = _document_text(
        _("letters and reports fee"),
        _("For letters, reports or forms clients ask for, for example $50 per letter."),
    )
    legal_hourly_fee = _document_text(
        _("legal work fee per hour"),
        _("For court appearances and other legal work, per hour, for example $250."),
    )
    fee_change_notice_days = _document_number(
        _("notice of fee changes in days"), 1, 365,
        _("How many days before a fee change clients are told, for example 30."),
    )
    payment_due = _document_text(
        _("when payment is due"),
        _('How "Payment is due ..." ends, for example "at the time of each session".'),
    )
    payment_methods = _document_text(
        _("payment methods"), _("For example cash, credit or debit card, HSA or FSA card."),
    )
    returned_check_fee = _document_text(_("returned check fee"), _("For example $25."))
    cancellation_notice_hours = _document_number(
        _("cancellation notice in hours"), 1, 168,
        _("How many hours before a session a client must cancel, for example 24."),
    )
    late_cancellation_fee = _document_text(
        _("late cancellation fee"),
        _("For a late cancellation or a missed session, for example $150."),
    )
    insurance_networks = _document_text(
        _("insurance network status"),
        _('How "<practice name> is ..." ends, for example "in network with Aetna and '
          'Cigna" or "not in network with any insurance plans".'),
    )
    unpaid_balance_days = _document_number(
        _("days before an unpaid balance is followed up"), 1, 365, _("For example 60."),
    )
    video_platform = _document_text(
        _("video platform"),
        _("The video service used for telehealth sessions, for example Doxy.me."),
    )
    reconnect_minutes = _document_number(
        _("minutes to reconnect a dropped video session"), 1, 60,
        _("After this many minutes the therapist calls the client, for example 10."),
    )
    practice_state = _document_text(
        _("state"), _("The state whose law applies to the practice, for example Oregon."),
        max_length=60,
    )
    records_retention_years = _document_number(
        _("years records are kept"), 1, 100,
        _("How many years records are kept after the last session, for example 7."),
    )
    # {"es": {"payment_methods": "efectivo o tarjeta", ...}}: the WORDED_SETTINGS in each
    # offered language other than the default one (``worded``).
    in_other_languages = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PracticeSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("practice settings")
        verbose_name_plural = _("practice settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="portal_practicesettings_singleton"
            ),
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__gte=5, idle_timeout_minutes__lte=120),
                name="portal_practicesettings_idle_timeout_range",
            ),
            models.CheckConstraint(
                condition=models.Q(safety_alert_draft_hours__gte=1,
                                   safety_alert_draft_hours__lte=168),
                name="portal_practicesettings_safety_alert_hours_range",
            ),
            models.CheckConstraint(
                condition=models.Q(intake_reminder_after_days__gte=1,
                                   intake_reminder_after_days__lte=30,
                                   intake_reminder_every_days__gte=1,
                                   intake_reminder_every_days__lte=30,
                                   intake_reminder_max__gte=1, intake_reminder_max__lte=10),
                name="portal_practicesettings_intake_reminders_range",
            ),
            models.CheckConstraint(
                condition=models.Q(adolescent_account_age__gte=10,
                                   adolescent_account_age__lte=17),
                name="portal_practicesettings_adolescent_age_range",
            ),
            models.CheckConstraint(
                condition=models.Q(consent_expiry_reminder_days__gte=1,
                                   consent_expiry_reminder_days__lte=90),
                name="portal_practicesettings_consent_expiry_reminder_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        _forget_shared_copy()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        _forget_shared_copy()
        return deleted

    def worded(self, setting: str, language: str) -> str:
        """The practice's wording of one of the WORDED_SETTINGS for readers of
        ``language``: the field itself in the default language, else what the practice
        wrote for that language ("" while it has written nothing)."""
        if setting not in WORDED_SETTINGS:
            raise ValueError(f"{setting} reads the same in every language")
        if language == django_settings.LANGUAGE_CODE:
            return str(getattr(self, setting) or "")
        wordings = self.in_other_languages.get(language)
        value = wordings.get(setting) if isinstance(wordings, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def crisis_text_for_reader(self) -> str:
        """The crisis text in the reader's language: the practice's own wording for that
        language when it wrote one; else the shipped default, translated; else the
        practice's wording in the default language (``crisis_text_language`` says which)."""
        return self._crisis_text_and_language()[0]

    @property
    def crisis_text_language(self) -> str:
        """The language ``crisis_text_for_reader`` is written in, for a ``lang`` mark."""
        return self._crisis_text_and_language()[1]

    def _crisis_text_and_language(self) -> tuple[str, str]:
        reader = translation.get_language() or django_settings.LANGUAGE_CODE
        own = self.worded("crisis_text", reader) if reader != django_settings.LANGUAGE_CODE \
            else ""
        if own:
            return own, reader
        if self.crisis_text == DEFAULT_CRISIS_TEXT:
            return gettext(DEFAULT_CRISIS_TEXT), reader
        return self.crisis_text, django_settings.LANGUAGE_CODE

    @classmethod
    def load(cls) -> PracticeSettings:
        """The settings row, created with defaults the first time it is needed."""
        settings_row, _ = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return settings_row
