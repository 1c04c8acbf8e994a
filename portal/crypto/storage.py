"""How PostgreSQL stores the columns that hold ciphertext: never compressed, and kept in the
row itself up to a full page.

By default PostgreSQL treats a ``bytea`` column as it treats text (storage ``EXTENDED``):
once a row passes 2 KB, it tries to compress its longest values and, when the row is still
too long, moves values out to the table's TOAST relation. Ciphertext does not compress, so
every such attempt is wasted work on every write, and a value moved out costs an index
look-up in the TOAST relation each time it is read. An intake row of ten answers of a few
hundred characters passes 2 KB.

``ensure_ciphertext_storage`` sets, on every table of an encrypted model:

* each encrypted column to storage ``EXTERNAL``: never compressed, moved out of the row
  only when the row is too long;
* the table's ``toast_tuple_target`` to 8160 bytes (the largest PostgreSQL allows, a page
  less its header): rows up to that length stay whole in the table.

A ``post_migrate`` receiver, so that every table made or changed by a migration gets it,
now and for models added later. Neither setting rewrites a table or changes a stored value:
they apply to the rows written from then on, and every value reads the same either way.
Other databases are left as they are (SQLite has no such settings).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

TOAST_TUPLE_TARGET = 8160
_EXTERNAL = "e"


def ensure_ciphertext_storage(sender: Any = None, using: str = DEFAULT_DB_ALIAS,
                              **kwargs: Any) -> list[str]:
    """Apply the settings above to every encrypted model's table on ``using`` where they
    are missing, and return the statements run (none when all is already set)."""
    from portal.crypto.models import encrypted_fields, encrypted_models

    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    statements: list[str] = []
    for model in encrypted_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [field.column for field in encrypted_fields(model)
                   if field.model is model and field.column]
        statements.extend(storage_statements(connection, model._meta.db_table, columns))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def storage_statements(connection: Any, table: str, columns: list[str]) -> list[str]:
    """The ``ALTER TABLE`` statements ``table`` still needs for its ciphertext ``columns``
    (read from the catalogue; nothing for a table that does not exist)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                       [quote(table)])
        found = cursor.fetchone()
        if found is None:
            return []
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            [quote(table)])
        storage = dict(cursor.fetchall())
    statements = [
        f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET STORAGE EXTERNAL"
        for column in columns if storage.get(column, _EXTERNAL) != _EXTERNAL]
    if f"toast_tuple_target={TOAST_TUPLE_TARGET}" not in (found[0] or []):
        statements.append(
            f"ALTER TABLE {quote(table)} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
    return statements
