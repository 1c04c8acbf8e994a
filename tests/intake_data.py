"""A complete, valid set of answers to the shipped questionnaires (the individual one and
the couple's), page by page, as a browser would post them (strings), with a canary in the
free text."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from intake.definitions import COUPLE_FILE, install_definition
from intake.models import Intake
from intake.services import intake_save_section, intake_start, intake_submit
from portal.models import Case, User

CANARY = "canary-intake-6b1d-what-i-told-you"


class Scores(TypedDict, total=False):
    """The scores ``answers_by_section`` takes, for helpers that pass them on."""

    phq9: int
    gad7: int
    item_9: int


def answers_by_section(*, phq9: int = 1, gad7: int = 1, item_9: int = 0,
                       legal_name: str = "Robin Example") -> dict[str, dict]:
    """Every required answer and a few optional ones; ``item_9`` is PHQ-9 item 9. The
    legal name becomes the client's profile name when the intake is submitted."""
    feelings = {f"phq9_{n}": str(phq9) for n in range(1, 9)}
    feelings["phq9_9"] = str(item_9)
    feelings.update({f"gad7_{n}": str(gad7) for n in range(1, 8)})
    return {
        "about_you": {"legal_name": legal_name, "date_of_birth": "1990-04-21",
                      "pronouns": "they/them"},
        "what_brings_you": {"in_your_own_words": f"I keep arguing with my sister. {CANARY}"},
        "feelings": feelings,
        "safety": {"thoughts_of_ending_life_now": "no"},
        "relationships": {"lives_with": ["partner"], "earlier_therapy": "no"},
        "health": {"medications": "None"},
        "practicalities": {"leave_messages": "yes", "preferred_times": ["weekday_evenings"]},
    }


def save_page(intake: Intake, section: str, posted: dict, client: User) -> Intake:
    """One page saved through the service, as the pages would (fails the test if any answer
    is refused)."""
    outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                  posted=posted, revision=intake.revision)
    assert outcome.errors == {}, outcome.errors
    return outcome.intake


def filled_draft(client: User, **scores: Any) -> Intake:
    """The client's draft with every page of ``answers_by_section`` saved."""
    intake = intake_start(client=client)
    for section, posted in answers_by_section(**scores).items():
        intake = save_page(intake, section, posted, client)
    return intake


def submitted_intake(client: User, **scores: Any) -> Intake:
    intake = filled_draft(client, **scores)
    return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


# In the couple's private answers only: a page for the partner must never show it.
PRIVATE_CANARY = "canary-private-5e2a-only-my-therapist"
SHARED_CANARY = "canary-shared-9c4f-we-both-wrote"


def couple_answers_by_section(*, csi4: tuple[int, int, int, int] = (3, 3, 3, 3),
                              phq9: int = 1, gad7: int = 1) -> dict[str, dict]:
    """Every required answer of the couple's questionnaire and a few optional ones, shared
    ones carrying ``SHARED_CANARY`` and private ones ``PRIVATE_CANARY``."""
    feelings = {f"phq9_{n}": str(phq9) for n in range(1, 9)}
    feelings["phq9_9"] = "0"
    feelings.update({f"gad7_{n}": str(gad7) for n in range(1, 8)})
    return {
        "about_you": {"legal_name": "Robin Example", "date_of_birth": "1990-04-21"},
        "what_brings_us": {"in_your_own_words": f"We argue about chores. {SHARED_CANARY}",
                           "since_when": "a_few_months"},
        "relationship": {"living_together": "yes", "has_children": "no"},
        "csi4": {f"csi4_{n}": str(value) for n, value in enumerate(csi4, start=1)},
        "feelings": feelings,
        "safety": {"thoughts_of_ending_life_now": "no", "afraid_of_partner": "no"},
        "private_things": {"not_told_partner": f"Something from before. {PRIVATE_CANARY}"},
        "goals": {"good_outcome": "Kinder evenings."},
    }


def couple_draft(client: User, case: Case | None = None) -> Intake:
    """A draft of the couple's questionnaire for ``client``: in ``case`` (started as the
    case's intake page starts it), or made directly without one."""
    if case is not None:
        return intake_start(client=client, case=case)
    return Intake.objects.create(client=client, questionnaire=install_definition(COUPLE_FILE))


def filled_couple_draft(client: User, case: Case | None = None, **answers: Any) -> Intake:
    """``client``'s couple draft (in ``case`` if given) with every page of
    ``couple_answers_by_section`` saved."""
    intake = couple_draft(client, case)
    for section, posted in couple_answers_by_section(**answers).items():
        intake = save_page(intake, section, posted, client)
    return intake


def _phq9_gad7_page(phq9: int, gad7: int, item_9: int) -> dict[str, str]:
    """The PHQ-9 and GAD-7 page (the same on every questionnaire that asks them)."""
    feelings = {f"phq9_{n}": str(phq9) for n in range(1, 9)}
    feelings["phq9_9"] = str(item_9)
    feelings.update({f"gad7_{n}": str(gad7) for n in range(1, 8)})
    return feelings


def family_answers_by_section(*, phq9: int = 1, gad7: int = 1,
                              item_9: int = 0) -> dict[str, dict]:
    """Every required answer of the family's questionnaire (one adult's) and a few optional
    ones, a child's entry included; shared ones carry ``SHARED_CANARY``, private ones
    ``PRIVATE_CANARY``. No safety answer flags it."""
    return {
        "about_you": {"legal_name": "Robin Example", "date_of_birth": "1985-02-11"},
        "what_brings_family": {
            "in_your_own_words": f"Mornings end in shouting. {SHARED_CANARY}",
            "since_when": "a_year_or_more",
        },
        "family_life": {"home_members": ["partner", "children"], "more_than_one_home": "no"},
        "about_the_children": {"children": [
            {"child_name": "Sam", "child_age": "9", "child_worries": "Will not sleep alone."},
        ]},
        "feelings": _phq9_gad7_page(phq9, gad7, item_9),
        "safety": {"thoughts_of_ending_life_now": "no", "unsafe_adult_at_home": "no",
                   "child_unsafe": "no"},
        "private_things": {"not_shared_with_family": f"Before we met. {PRIVATE_CANARY}"},
        "goals": {"good_outcome": "Calmer mornings."},
    }


def adolescent_answers_by_section(*, phq9: int = 1, gad7: int = 1,
                                  item_9: int = 0) -> dict[str, dict]:
    """Every required answer of a young person's questionnaire and a few optional ones;
    shared ones carry ``SHARED_CANARY``, private ones ``PRIVATE_CANARY``. No safety answer
    flags it."""
    return {
        "about_you": {"legal_name": "Alex Example", "date_of_birth": "2011-06-03",
                      "preferred_name": "Lex"},
        "what_brings_you": {"in_your_own_words": f"School is a lot. {SHARED_CANARY}"},
        "school_and_friends": {"school_year": "Year 9", "school_feels": "hard"},
        "feelings": _phq9_gad7_page(phq9, gad7, item_9),
        "safety": {"thoughts_of_ending_life_now": "no"},
        "private_things": {"vaping": "tried_it",
                           "not_told_guardians": f"About my friend. {PRIVATE_CANARY}"},
        "hopes": {"good_outcome": "Sleeping better."},
    }


def filled_case_draft(client: User, path: Path, pages: dict[str, dict]) -> Intake:
    """A draft of the questionnaire at ``path`` for ``client``, made directly (no case),
    with each of ``pages`` saved through the service."""
    intake = Intake.objects.create(client=client, questionnaire=install_definition(path))
    for section, posted in pages.items():
        intake = save_page(intake, section, posted, client)
    return intake
