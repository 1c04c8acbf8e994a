"""Moving the test database's schema to a past migration and back, for the tests of data
migrations (which must run in a ``transaction=True`` test: schema changes commit).

Rows are written with today's models and services while the schema is current, then the
schema is migrated back (the data migrations' reverse steps turn them into the shape they
had) and forward again, so the data migration under test runs on rows the real code wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(app: str, name: str) -> Apps:
    """Migrate ``app`` forward or back to migration ``name``; the models as they were then
    (historical models: they read encrypted values, but cannot seal new ones)."""
    executor = MigrationExecutor(connection)
    executor.migrate([(app, name)])
    executor.loader.build_graph()
    return executor.loader.project_state([(app, name)]).apps


def historical_model(apps: Apps, app_label: str, model_name: str) -> Any:
    """The model ``app_label.model_name`` as it stood in ``apps`` (from ``migrate`` or
    ``schema_at``). Typed Any on purpose: its fields are those of that migration, not of
    today's model, which is what django-stubs would check its lookups against."""
    return apps.get_model(app_label, model_name)


def migrate_to_latest() -> None:
    """Every app back to its newest migration, the schema today's models expect."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@contextmanager
def schema_at(app: str, name: str) -> Iterator[Apps]:
    """Inside the block ``app`` is at migration ``name``; after it, whatever happened in
    it, every app is at its newest migration again (the tests that follow need it)."""
    try:
        yield migrate(app, name)
    finally:
        migrate_to_latest()
