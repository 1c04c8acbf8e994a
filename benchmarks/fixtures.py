"""Benchmark data: owners, deterministic intake-like text, and the ``bench_*`` tables."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import connection, models

from portal.crypto.storage import ensure_ciphertext_storage

MIN_TEXT, MAX_TEXT = 60, 400

_OPENINGS = (
    "I have been", "Lately I keep", "My partner says I am", "At work I find myself",
    "Since the move I have been", "Most nights I am", "My mother thinks I am",
    "When the kids are asleep I am", "Honestly, I\u2019m", "After the accident I started",
)
_MIDDLES = (
    "feeling anxious before meetings", "avoiding phone calls from my sister",
    "sleeping four or five hours at most", "drinking more than I would like to admit",
    "snapping at people I love", "crying in the car before going inside",
    "worrying about money every single day", "having panic attacks on the train",
    "replaying the argument over and over", "struggling to get out of bed on Mondays",
    "not eating much at all", "thinking about the divorce and what it did to us",
)
_ENDINGS = (
    "and I do not know why.", "which scares me.", "and it has been like this since spring.",
    "even when things are fine.", "and my doctor suggested therapy.",
    "but I want to feel like myself again.", "especially around the holidays.",
    "and it\u2019s getting in the way of work.", "though some weeks are better than others.",
    "and I have not told anyone before now.",
)


def intake_text(rng: random.Random) -> str:
    """One free-text answer of 60 to 400 characters, built from sentences a client might
    write (with the odd non-ASCII character, as real answers have)."""
    target = rng.randint(MIN_TEXT, MAX_TEXT)
    sentences: list[str] = []
    length = 0
    while length < target:
        sentence = f"{rng.choice(_OPENINGS)} {rng.choice(_MIDDLES)} {rng.choice(_ENDINGS)}"
        sentences.append(sentence)
        length += len(sentence) + 1
    text = " ".join(sentences)[:target].rstrip()
    return text if len(text) >= MIN_TEXT else text.ljust(MIN_TEXT, ".")


def text_rows(count: int, fields: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` rows of ``fields`` answers each, the same for every run with the same seed."""
    rng = random.Random(seed)
    return [tuple(intake_text(rng) for _ in range(fields)) for _ in range(count)]


def text_pool(size: int, seed: int) -> list[str]:
    """``size`` distinct-ish answers to draw from when rows are too many to hold each one."""
    rng = random.Random(seed)
    return [intake_text(rng) for _ in range(size)]


def create_owners(count: int) -> list[uuid.UUID]:
    """``count`` client accounts (no password: they never sign in), in one bulk insert.

    ``bulk_create`` skips hashing and signals: the benchmark needs rows to own data, not
    people who can log in."""
    user_model = get_user_model()
    users = []
    for number in range(count):
        user = user_model(email=f"bench-owner-{number:05d}@example.invalid")
        user.set_unusable_password()
        users.append(user)
    user_model.objects.bulk_create(users, batch_size=500)
    return [user.pk for user in users]


@contextmanager
def bench_tables(bench_models: Sequence[type[models.Model]]) -> Iterator[None]:
    """Create the benchmark models' tables, and drop them however the block ends. The
    encrypted ones are stored as ``migrate`` stores every encrypted model's table.

    DDL is transactional on both SQLite and PostgreSQL: either every table is created or
    none is, so the clean-up drops exactly what exists."""
    with connection.schema_editor() as editor:
        for model in bench_models:
            editor.create_model(model)
    # As migrate leaves every encrypted model's table (portal/crypto/storage.py).
    ensure_ciphertext_storage()
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(bench_models):
                editor.delete_model(model)
