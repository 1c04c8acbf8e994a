"""Who else reads an answer: the words people are told, and the one gate for the others.

A couple, family or adolescent questionnaire marks each section (and perhaps a question)
private or shared (``intake.schema``). This module is the one place that says what that
means to the person filling it in, by audience, in plain second-person words: the notice on
a page, the short badge beside a question, the mark beside an answer on the review page and
the count at its top. Pages, PDFs and exports take their words from here, so a promise
("Your partner will not see these answers") is written once and reads the same everywhere.

``shared_answers`` is the one filter every page, PDF or export meant for the *other* people
of a case goes through. It keeps only what the person was told is shared: known, shared,
shown questions; never a private answer, an answer to a question a condition now hides, or a
key the questionnaire does not know.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from intake.answers import prune_hidden
from intake.schema import INDIVIDUAL, PRIVATE, SHARED, Questionnaire


@dataclass(frozen=True)
class VisibilityWords:
    """What one visibility means on one audience's questionnaire."""

    visibility: str  # "private" or "shared"
    badge: str  # a few words beside a question or heading: "Shared with your partner"
    notice: str  # the sentence that stands alone (a PDF, an export): who will see these
    # The same after its badge, so a page showing both does not say "Private" twice.
    explanation: str
    answer_mark: str  # beside one answer on the review page: "Your partner will see this"


@dataclass(frozen=True)
class _Audience:
    """Each a whole sentence or phrase (translated whole: never assembled from pieces)."""

    shared_badge: Promise
    shared_notice: Promise
    shared_mark: Promise
    private_notice: Promise  # "Private: only you and your care team will see ..."
    private_explanation: Promise  # the same without "Private: " (after the badge)
    none_shared: Promise  # the review page's count when nothing is shared
    some_shared: Promise  # its count otherwise (a plural, by "count")


_PRIVATE_BADGE = _("Private")
_PRIVATE_MARK = _("Private")

_AUDIENCES: dict[str, _Audience] = {
    "couple": _Audience(
        shared_badge=_("Shared with your partner"),
        shared_notice=_("Your partner will see these answers."),
        shared_mark=_("Your partner will see this"),
        private_notice=_("Private: only you and your care team will see these answers. "
                         "Your partner will not."),
        private_explanation=_("Only you and your care team will see these answers. Your "
                              "partner will not."),
        none_shared=_("None of your answers will be shared with your partner."),
        some_shared=ngettext_lazy(
            "%(count)s of your answers will be shared with your partner.",
            "%(count)s of your answers will be shared with your partner.", "count"),
    ),
    "family": _Audience(
        shared_badge=_("Shared with the other adults"),
        shared_notice=_("The other adults in your family's case will see these answers."),
        shared_mark=_("The other adults in your family's case will see this"),
        private_notice=_("Private: only you and your care team will see these answers. "
                         "The other people in your family's case will not."),
        private_explanation=_("Only you and your care team will see these answers. The "
                              "other people in your family's case will not."),
        none_shared=_("None of your answers will be shared with the other adults in your "
                      "family's case."),
        some_shared=ngettext_lazy(
            "%(count)s of your answers will be shared with the other adults in your "
            "family's case.",
            "%(count)s of your answers will be shared with the other adults in your "
            "family's case.", "count"),
    ),
    "adolescent": _Audience(
        shared_badge=_("Shared with your parents or guardians"),
        shared_notice=_("Your parents or guardians will see these answers."),
        shared_mark=_("Your parents or guardians will see this"),
        private_notice=_("Private: only you and your care team will see these answers. "
                         "Your parents or guardians will not."),
        private_explanation=_("Only you and your care team will see these answers. Your "
                              "parents or guardians will not."),
        none_shared=_("None of your answers will be shared with your parents or "
                      "guardians."),
        some_shared=ngettext_lazy(
            "%(count)s of your answers will be shared with your parents or guardians.",
            "%(count)s of your answers will be shared with your parents or guardians.",
            "count"),
    ),
}


def visibility_words(audience: str, visibility: str) -> VisibilityWords | None:
    """The words for ``visibility`` on a questionnaire for ``audience``; None on an
    individual questionnaire, where nothing is shared and so nothing needs saying."""
    if audience == INDIVIDUAL:
        return None
    words = _AUDIENCES[audience]
    if visibility == SHARED:
        return VisibilityWords(SHARED, str(words.shared_badge), str(words.shared_notice),
                               str(words.shared_notice), str(words.shared_mark))
    if visibility == PRIVATE:
        return VisibilityWords(
            PRIVATE, str(_PRIVATE_BADGE),
            notice=str(words.private_notice),
            explanation=str(words.private_explanation),
            answer_mark=str(_PRIVATE_MARK),
        )
    raise ValueError(f"unknown visibility {visibility!r}")


def shared_summary(audience: str, count: int) -> str:
    """The line at the top of the review page: how many answers the others will see."""
    words = _AUDIENCES[audience]
    if count == 0:
        return str(words.none_shared)
    return str(words.some_shared % {"count": count})


def _shared_group_entries(questionnaire: Questionnaire, group_id: str, value: Any) -> Any:
    """A shared group's entries with only the group's own questions in each."""
    children = {child.id for child in questionnaire.question(group_id).questions}
    if not isinstance(value, list):
        return value  # "in person", or a value the group's type stored as is
    return [
        {key: copy.deepcopy(item) for key, item in entry.items() if key in children}
        for entry in value
        if isinstance(entry, Mapping)
    ]


def shared_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the other people of the case may see: only those to shared questions
    that are shown given every answer (a condition that now hides a question takes its
    answer out too), and only keys the questionnaire knows (in a group's entries too).
    Empty for an individual questionnaire. The result is a copy: changing it changes
    nothing stored.

    This is the one gate for everything a partner, another adult or a guardian is shown
    of someone else's answers (pages, PDFs, exports). Never build such a view from the
    answers directly.
    """
    if questionnaire.audience == INDIVIDUAL:
        return {}
    shown = prune_hidden(questionnaire, answers)  # known, shown top-level questions only
    shared = questionnaire.shared_question_ids()
    kept: dict[str, Any] = {}
    for question_id, value in shown.items():
        if question_id not in shared:
            continue
        if questionnaire.question(question_id).questions:
            kept[question_id] = _shared_group_entries(questionnaire, question_id, value)
        else:
            kept[question_id] = copy.deepcopy(value)
    return kept
