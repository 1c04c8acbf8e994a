"""What is encrypted under which key: the numbers behind ``encryption_status``."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

from allauth.mfa.models import Authenticator
from django.db import connection
from django.db.models import Count

from portal.crypto.envelope import VERSION, parse
from portal.crypto.errors import MalformedCiphertextError
from portal.crypto.keystore import DataKey
from portal.crypto.models import encrypted_fields, encrypted_models
from portal.crypto.providers import get_key_provider
from portal.crypto.text import TEXT_PREFIX, is_encrypted_text


@dataclass
class EncryptionStatus:
    active_master_key: str
    data_keys_by_master: Counter[str] = field(default_factory=Counter)
    data_keys_by_state: Counter[str] = field(default_factory=Counter)
    values_by_key_state: Counter[str] = field(default_factory=Counter)
    plaintext_values: int = 0
    retirable_master_keys: list[str] = field(default_factory=list)


def _value_key_ids(table: str, column: str) -> Counter[str]:
    """Count a column's values per data key id, reading only the envelope header in SQL."""
    if connection.vendor == "postgresql":
        header = f"encode(substring({column} from 1 for 2), 'hex')"
        key = f"encode(substring({column} from 3 for 32), 'escape')"
    else:
        header = f"hex(substr({column}, 1, 2))"
        key = f"CAST(substr({column}, 3, 32) AS TEXT)"
    # Table and column names come from model _meta, never from input.
    select = f"SELECT {header}, {key}, COUNT(*) FROM {table}"  # noqa: S608  # nosec B608
    sql = f"{select} WHERE {column} IS NOT NULL GROUP BY 1, 2"
    counts: Counter[str] = Counter()
    expected_header = f"{VERSION:02x}{32:02x}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for head, key_id, count in cursor.fetchall():
            counts[key_id if str(head).lower() == expected_header else "<not encrypted>"] += count
    return counts


def encryption_status() -> EncryptionStatus:
    """Data keys per master key and state, and stored values per data-key state."""
    provider = get_key_provider()
    status = EncryptionStatus(active_master_key=provider.active_key_id)
    # Destroyed keys hold no wrapped key, so they tie no master key to the keyring.
    live_or_retired = DataKey.objects.filter(wrapped_key__isnull=False)
    for row in live_or_retired.values("master_key_id").annotate(n=Count("id")):
        if row["master_key_id"]:
            status.data_keys_by_master[row["master_key_id"]] += row["n"]
    states = {}
    for key in DataKey.objects.only("id", "retired_at", "destroyed_at"):
        state = "destroyed" if key.destroyed_at else "retired" if key.retired_at else "live"
        states[key.id.hex] = state
        status.data_keys_by_state[state] += 1
    for model in encrypted_models():
        for enc_field in encrypted_fields(model):
            # A concrete field always has a column (the stubs allow None for other kinds).
            counts = _value_key_ids(model._meta.db_table, cast(str, enc_field.column))
            for key_id, count in counts.items():
                if key_id == "<not encrypted>":
                    status.plaintext_values += count
                else:
                    status.values_by_key_state[states.get(key_id, "unknown")] += count
    status.retirable_master_keys = sorted(
        key_id for key_id in provider.key_ids()
        if key_id != provider.active_key_id and not status.data_keys_by_master.get(key_id)
    )
    return status


def referenced_data_key_ids() -> set[str]:
    """Every data key id that some stored value names: encrypted columns (read from the
    envelope headers in SQL) and allauth's encrypted MFA secrets."""
    referenced: set[str] = set()
    for model in encrypted_models():
        for enc_field in encrypted_fields(model):
            column = cast(str, enc_field.column)  # concrete field: always has a column
            referenced |= set(_value_key_ids(model._meta.db_table, column))
    for data in Authenticator.objects.values_list("data", flat=True):
        for value in (data or {}).values():
            if is_encrypted_text(value):
                try:
                    sealed = base64.urlsafe_b64decode(value[len(TEXT_PREFIX):])
                    referenced.add(parse(sealed).key_id)
                except (ValueError, MalformedCiphertextError):
                    continue
    referenced.discard("<not encrypted>")
    return referenced
