"""A complete, valid set of answers to the shipped questionnaire, page by page, as a
browser would post them (strings), with a canary in the free text."""

from __future__ import annotations

CANARY = "canary-intake-6b1d-what-i-told-you"


def answers_by_section(*, phq9: int = 1, gad7: int = 1, item_9: int = 0) -> dict[str, dict]:
    """Every required answer and a few optional ones; ``item_9`` is PHQ-9 item 9."""
    feelings = {f"phq9_{n}": str(phq9) for n in range(1, 9)}
    feelings["phq9_9"] = str(item_9)
    feelings.update({f"gad7_{n}": str(gad7) for n in range(1, 8)})
    return {
        "about_you": {"legal_name": "Robin Example", "date_of_birth": "1990-04-21",
                      "pronouns": "they/them"},
        "what_brings_you": {"in_your_own_words": f"I keep arguing with my sister. {CANARY}"},
        "feelings": feelings,
        "safety": {"thoughts_of_ending_life_now": "no"},
        "relationships": {"lives_with": ["partner"], "earlier_therapy": "no"},
        "health": {"medications": "None"},
        "practicalities": {"leave_messages": "yes", "preferred_times": ["weekday_evenings"]},
    }
