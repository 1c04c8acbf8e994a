"""``rotate_keys`` on 100,000 rows: 1,000 owners with 100 rows of four encrypted answers each
(``BenchRotation``: a narrower row than the field benchmark's, to keep the run short; the
values-per-second figure is independent of the width).

After the fill, a second master key ``bench2`` joins the keyring and becomes the active one
(``override_settings``, as an operator would change ``PORTAL_MASTER_KEYS`` and
``PORTAL_ACTIVE_MASTER_KEY_ID``). Then, timed separately:

* ``rewrap_data_keys()``: every data key re-sealed under ``bench2``; field data untouched, so
  the cost follows the number of owners, not of rows;
* ``reencrypt_owners()``: every owner gets a new data key and all their values are decrypted
  and sealed again (``rotate_keys --reencrypt``). It walks every installed encrypted model
  per owner (the portal's, the test app's and the benchmark's), as it would in production.

Both are checked: after each step every key is wrapped by ``bench2`` and a sample of rows
still reads back exactly; after re-encryption those rows name the new data keys.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.test import override_settings

from benchmarks.common import check, say, stopwatch
from benchmarks.fixtures import text_pool
from benchmarks.models import ROTATION_FIELDS, BenchRotation
from portal.crypto.datakeys import key_scope
from portal.crypto.envelope import parse
from portal.crypto.fields import stored_envelope
from portal.crypto.rotation import reencrypt_owners, rewrap_data_keys
from portal.models import DataKey

NEW_MASTER_KEY_ID = "bench2"
FILL_CHUNK = 10_000
FILL_BATCH = 1_000
POOL_SIZE = 1_009  # prime: consecutive rows do not repeat the same answers
SEED = 20260102
SAMPLE = 300


@dataclass
class RotationResults:
    rows: int
    owners: int
    fill_seconds: float = 0.0
    rewrap_seconds: float = 0.0
    reencrypt_seconds: float = 0.0
    data_keys: int = 0

    @property
    def reencrypt_rows_per_second(self) -> float:
        return self.rows / self.reencrypt_seconds


def run(*, owner_ids: Sequence[uuid.UUID], rows_per_owner: int) -> RotationResults:
    """Fill, then time re-wrapping and re-encryption under a new master key."""
    results = RotationResults(rows=len(owner_ids) * rows_per_owner, owners=len(owner_ids))
    pool = text_pool(POOL_SIZE, SEED)
    results.fill_seconds, row_ids = _fill(owner_ids, results.rows, pool)
    say(f"fill {results.rows:,} rows x {len(ROTATION_FIELDS)} fields for {len(owner_ids):,} owners:"
        f" {results.fill_seconds:.1f} s")
    sample = sorted(random.Random(SEED).sample(range(results.rows), SAMPLE))
    _check_sample(row_ids, sample, owner_ids, pool)
    keys_before = set(DataKey.objects.values_list("id", flat=True))
    results.data_keys = len(keys_before)

    keyring = {**settings.PORTAL_MASTER_KEYS, NEW_MASTER_KEY_ID: os.urandom(32)}
    with override_settings(
        PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID=NEW_MASTER_KEY_ID
    ):
        with stopwatch() as watch:
            rewrapped = rewrap_data_keys()
        results.rewrap_seconds = watch.seconds
        say(f"rewrap_data_keys: {rewrapped.done:,} data keys in {watch.seconds:.2f} s")
        check(rewrapped.done == len(keys_before), "rewrap: not every data key was re-wrapped")
        _check_all_keys_under_new_master()
        _check_sample(row_ids, sample, owner_ids, pool)

        with stopwatch() as watch:
            reencrypted = reencrypt_owners(progress=_progress)
        results.reencrypt_seconds = watch.seconds
        say(f"reencrypt_owners: {results.rows:,} rows of {reencrypted.done:,} owners in "
            f"{watch.seconds:.1f} s ({results.reencrypt_rows_per_second:,.0f} rows/s)")
        check(reencrypted.done == len(keys_before), "reencrypt: not every owner was done")
        _check_all_keys_under_new_master()
        keys_after = set(DataKey.objects.values_list("id", flat=True))
        check(not keys_before & keys_after, "reencrypt: an old data key survived")
        live_owners = DataKey.objects.filter(
            owner_id__in=owner_ids, retired_at__isnull=True, destroyed_at__isnull=True
        ).values("owner_id").distinct().count()
        check(live_owners == len(owner_ids), "reencrypt: an owner has no new data key")
        _check_sample(row_ids, sample, owner_ids, pool, key_ids={k.hex for k in keys_after})
    return results


def _answer(pool: list[str], row: int, field: int) -> str:
    return pool[(row * len(ROTATION_FIELDS) + field) % len(pool)]


def _fill(
    owner_ids: Sequence[uuid.UUID], rows: int, pool: list[str]
) -> tuple[float, list[uuid.UUID]]:
    """Insert ``rows`` rows, owners interleaved, in chunks (bounded memory) in one scope."""
    row_ids: list[uuid.UUID] = []
    with stopwatch() as watch, key_scope():
        for start in range(0, rows, FILL_CHUNK):
            chunk = [
                BenchRotation(
                    owner_id=owner_ids[row % len(owner_ids)],
                    **{name: _answer(pool, row, number) for number, name in
                       enumerate(ROTATION_FIELDS)},
                )
                for row in range(start, min(start + FILL_CHUNK, rows))
            ]
            BenchRotation.objects.bulk_create(chunk, batch_size=FILL_BATCH)
            row_ids.extend(instance.pk for instance in chunk)
            if (start + FILL_CHUNK) % (rows // 5 or 1) == 0:
                say(f"  filled {min(start + FILL_CHUNK, rows):,}/{rows:,} rows")
    check(BenchRotation.objects.count() == rows, "fill: row count differs")
    return watch.seconds, row_ids


def _check_sample(
    row_ids: list[uuid.UUID],
    sample: list[int],
    owner_ids: Sequence[uuid.UUID],
    pool: list[str],
    key_ids: set[str] | None = None,
) -> None:
    """Sampled rows decrypt (in a fresh scope) to exactly what was written; with ``key_ids``,
    their stored envelopes also name one of those data keys."""
    with key_scope():
        rows = BenchRotation.objects.in_bulk([row_ids[index] for index in sample])
        for index in sample:
            row = rows[row_ids[index]]
            # Benchmark models are installed only while benchmarks run: the plugin sees no owner_id.
            check(row.owner_id == owner_ids[index % len(owner_ids)], "a row changed owner")  # type: ignore[attr-defined]
            # The envelopes as loaded, before the first read opens the row.
            envelopes = [stored_envelope(row, name) for name in ROTATION_FIELDS]
            for number, name in enumerate(ROTATION_FIELDS):
                if key_ids is not None:
                    stored = parse(envelopes[number] or b"")
                    check(stored.key_id in key_ids, "a row is still sealed under an old key")
                check(getattr(row, name) == _answer(pool, index, number),
                      "a rotated row reads back differently")


def _check_all_keys_under_new_master() -> None:
    stale = DataKey.objects.exclude(master_key_id=NEW_MASTER_KEY_ID).count()
    check(stale == 0, f"{stale} data keys are not wrapped by the new master key")


def _progress(done: int, total: int) -> None:
    if total and (done == total or done % max(total // 10, 1) == 0):
        say(f"  re-encrypted {done:,}/{total:,} owners")
