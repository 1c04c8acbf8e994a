"""Write and read the same rows as plain text, with our encrypted fields and with the peer's.

* write: build the model instances and ``bulk_create`` them in batches of 500, inside one
  ``key_scope()`` (ours needs it; it costs the others nothing), timed end to end.
* read: ``list(Model.objects.all())`` and read every text field of every row (ours decrypts
  lazily, so an untouched field would cost nothing), inside one fresh ``key_scope()``: each
  owner's data key is fetched and unwrapped again, as in a request.

Both are repeated, interleaved across the three models so that a noisy moment on a shared
machine hits all three alike, and the median counts. Between write rounds the tables are
emptied (untimed); the last round's rows are the ones read, and every read is checked
against what was written.

The floor (issue 21), measured in the same rounds: the plain read plus one bare AES-256-GCM
decryption of each value ours stores (its envelope split, its data key unwrapped and its
associated data built beforehand, untimed). No encrypted read can cost less than that; ours
is judged against it.

Warm-up, outside the timings and reported separately: ours creates the owners' data keys (a
client's key is made once, at their first save, not on every write); the peer derives its
Fernet keys (PBKDF2 with 100,000 iterations, once per field per process).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection, models

from benchmarks.common import BenchmarkError, check, median, say, stopwatch
from benchmarks.fixtures import text_rows
from benchmarks.models import BENCH_MODELS, TEXT_FIELDS, BenchOurs, BenchPeer, BenchPlain
from portal.crypto import envelope, serialization
from portal.crypto.datakeys import active_key_for, cipher_for, key_scope
from portal.crypto.envelope import is_envelope
from portal.crypto.fields import associated_data, stored_envelope
from portal.crypto.owners import client_owner

BATCH_SIZE = 500
SEED = 20260101
Expected = dict[uuid.UUID, tuple[uuid.UUID, tuple[str, ...]]]
# What the floor decrypts: a stored value's cipher, nonce, ciphertext+tag and associated data.
SealedValue = tuple[AESGCM, bytes, bytes, bytes]


@dataclass
class FieldResults:
    rows: int
    owners: int
    write_samples: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in BENCH_MODELS}
    )
    read_samples: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in BENCH_MODELS}
    )
    floor_samples: list[float] = field(default_factory=list)
    ours_key_setup_seconds: float = 0.0
    peer_key_derivation_seconds: float = 0.0

    def write_seconds(self, kind: str) -> float:
        return median(self.write_samples[kind])

    def read_seconds(self, kind: str) -> float:
        return median(self.read_samples[kind])

    def floor_seconds(self) -> float:
        return median(self.floor_samples)


def run(
    *, owner_ids: Sequence[uuid.UUID], rows: int, write_repeats: int, read_repeats: int
) -> FieldResults:
    """Measure all three models on ``rows`` rows spread evenly over ``owner_ids``."""
    results = FieldResults(rows=rows, owners=len(owner_ids))
    values = text_rows(rows, len(TEXT_FIELDS), SEED)
    results.ours_key_setup_seconds = _create_data_keys(owner_ids)
    results.peer_key_derivation_seconds = _derive_peer_keys()
    say(f"warm-up: {len(owner_ids)} data keys created in {results.ours_key_setup_seconds:.2f} s,"
        f" peer keys derived in {results.peer_key_derivation_seconds:.2f} s")

    expected: dict[str, Expected] = {}
    for attempt in range(1, write_repeats + 1):
        for kind, model in BENCH_MODELS.items():
            model._default_manager.all().delete()
            seconds, expected[kind] = _write(model, owner_ids, values)
            results.write_samples[kind].append(seconds)
            say(f"write {rows:,} rows x {len(TEXT_FIELDS)} fields, {kind:>5}, "
                f"run {attempt}/{write_repeats}: {seconds:7.3f} s")
    _check_columns(expected)
    sealed = _sealed_values(expected["ours"])

    for attempt in range(1, read_repeats + 1):
        for kind, model in BENCH_MODELS.items():
            seconds, loaded = _read(model)
            _check_rows(kind, loaded, expected[kind])
            results.read_samples[kind].append(seconds)
            say(f"read {rows:,} rows, {kind:>5}, run {attempt}/{read_repeats}: {seconds:7.3f} s")
        seconds = _read_floor(sealed, expected_rows=rows)
        results.floor_samples.append(seconds)
        say(f"floor: plain read + {len(sealed):,} bare decryptions, run "
            f"{attempt}/{read_repeats}: {seconds:7.3f} s")
    for model in BENCH_MODELS.values():
        model._default_manager.all().delete()
    return results


def _create_data_keys(owner_ids: Sequence[uuid.UUID]) -> float:
    """Give every owner their data key, as their first save would."""
    with stopwatch() as watch, key_scope():
        for owner_id in owner_ids:
            active_key_for(client_owner(owner_id))
    return watch.seconds


def _derive_peer_keys() -> float:
    """Make the peer derive (and cache on each field) its Fernet keys before it is timed."""
    with stopwatch() as watch:
        for name in TEXT_FIELDS:
            BenchPeer._meta.get_field(name).f  # type: ignore[union-attr]  # noqa: B018
    return watch.seconds


def _write(
    model: type[models.Model], owner_ids: Sequence[uuid.UUID], values: list[tuple[str, ...]]
) -> tuple[float, Expected]:
    """Build and bulk-insert one instance per row of ``values``; return the time and what
    each row should read back as."""
    with stopwatch() as watch, key_scope():
        instances = [
            model(
                owner_id=owner_ids[number % len(owner_ids)],
                **dict(zip(TEXT_FIELDS, texts, strict=True)),
            )
            for number, texts in enumerate(values)
        ]
        model._default_manager.bulk_create(instances, batch_size=BATCH_SIZE)
    expected = {
        instance.pk: (owner_ids[number % len(owner_ids)], texts)
        for number, (instance, texts) in enumerate(zip(instances, values, strict=True))
    }
    return watch.seconds, expected


def _read(model: type[models.Model]) -> tuple[float, list[models.Model]]:
    """Load every row and read every text field of each (ours decrypts here)."""
    with stopwatch() as watch, key_scope():
        loaded = list(model._default_manager.all())
        for row in loaded:
            for name in TEXT_FIELDS:
                getattr(row, name)
    return watch.seconds, loaded


def _sealed_values(expected: Expected) -> list[SealedValue]:
    """Every value ours stores, ready for a bare decryption: the envelope split, the data
    key it names unwrapped, the associated data (model, field, row) built. Untimed: this is
    the work the floor leaves out. Each is opened once here, so a floor that decrypted
    nothing (or the wrong thing) fails the run instead of flattering it."""
    sealed: list[SealedValue] = []
    fields_of_ours = [BenchOurs._meta.get_field(name) for name in TEXT_FIELDS]
    with key_scope():
        for row in BenchOurs.objects.all():
            pk, texts = row.pk, expected[row.pk][1]
            # The stored envelopes themselves, as loaded (reading the attribute would decrypt).
            stored = [stored_envelope(row, name) for name in TEXT_FIELDS]
            for text_field, data, text in zip(fields_of_ours, stored, texts, strict=True):
                if data is None:
                    raise BenchmarkError("floor: a value was opened before the floor read it")
                raw_key_id, nonce, ciphertext = envelope.split(data)
                cipher = cipher_for(envelope.key_id_text(raw_key_id))
                aad = associated_data(text_field, pk)  # type: ignore[arg-type]
                check(serialization.loads(cipher.decrypt(nonce, ciphertext, aad)) == text,
                      "floor: a bare decryption does not give back what was written")
                sealed.append((cipher, nonce, ciphertext, aad))
    return sealed


def _read_floor(sealed: list[SealedValue], *, expected_rows: int) -> float:
    """The plain read (every row, every field) and one bare decryption of each stored value:
    what no encrypted read can beat."""
    with stopwatch() as watch:
        loaded = list(BenchPlain._default_manager.all())
        for row in loaded:
            for name in TEXT_FIELDS:
                getattr(row, name)
        for cipher, nonce, ciphertext, aad in sealed:
            cipher.decrypt(nonce, ciphertext, aad)
    check(len(loaded) == expected_rows, "floor: the plain read missed rows")
    return watch.seconds


def _check_rows(kind: str, loaded: list[models.Model], expected: Expected) -> None:
    """Every row written is read back, with its owner and exactly its ten answers."""
    check(len(loaded) == len(expected), lambda: f"{kind}: read {len(loaded)} rows, "
          f"wrote {len(expected)}")
    for row in loaded:
        owner_id, texts = expected[row.pk]
        # Benchmark models are installed only while benchmarks run: the plugin sees no owner_id.
        owner = row.owner_id  # type: ignore[attr-defined]
        check(owner == owner_id, f"{kind}: a row came back with another owner")
        read_back = tuple(getattr(row, name) for name in TEXT_FIELDS)
        check(read_back == texts, f"{kind}: a row read back differs from what was written")


def _check_columns(expected: dict[str, Expected], sample: int = 50) -> None:
    """The raw columns hold what each kind claims: plaintext for plain, an envelope of ours
    (without the plaintext in it) and a Fernet token for the peer. A benchmark of fields that
    silently stored plaintext would measure nothing."""
    for kind, model in BENCH_MODELS.items():
        pk_field = model._meta.pk
        table = connection.ops.quote_name(model._meta.db_table)
        text_field = cast("models.Field[Any, Any]", model._meta.get_field(TEXT_FIELDS[0]))
        # Concrete fields always have a column (the stubs allow None for other kinds).
        column = connection.ops.quote_name(cast(str, text_field.column))
        id_column = connection.ops.quote_name(cast(str, pk_field.column))
        query = f"SELECT {column} FROM {table} WHERE {id_column} = %s"  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            for pk, (_owner, texts) in list(expected[kind].items())[:sample]:
                cursor.execute(query, [pk_field.get_db_prep_value(pk, connection)])
                raw = cursor.fetchone()[0]
                _check_raw(kind, raw, texts[0])


def _check_raw(kind: str, raw: object, plaintext: str) -> None:
    if kind == "plain":
        check(raw == plaintext, "plain: the column does not hold the plaintext")
    elif kind == "ours":
        stored = bytes(raw)  # type: ignore[call-overload]
        check(is_envelope(stored), "ours: the column does not hold an envelope")
        check(plaintext.encode() not in stored, "ours: the plaintext is in the column")
    else:
        check(isinstance(raw, str) and raw.startswith("gAAAA") and plaintext not in raw,
              "peer: the column does not hold a Fernet token")


def ratios(results: FieldResults) -> dict[str, float]:
    """Ours against plain and against the floor (lower is better) and the peer against ours
    (how many times faster we are), from the same run."""
    write, read = results.write_seconds, results.read_seconds
    return {
        "write_ratio_vs_plain": write("ours") / write("plain"),
        "read_ratio_vs_plain": read("ours") / read("plain"),
        "read_ratio_vs_floor": read("ours") / results.floor_seconds(),
        "floor_ratio_vs_plain": results.floor_seconds() / read("plain"),
        # The most any field could be ahead of the peer: at the floor on read, at plain
        # text's cost on write (no field can write for less than the plain one).
        "peer_read_ratio_vs_floor": read("peer") / results.floor_seconds(),
        "peer_write_ratio_vs_plain": write("peer") / write("plain"),
        "write_ratio_vs_peer": write("peer") / write("ours"),
        "read_ratio_vs_peer": read("peer") / read("ours"),
    }

