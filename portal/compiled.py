"""Querysets compiled to SQL once per process, for the few queries every request runs.

Every signed-in request reads its session, its user and the user's permissions, and an
autosave its data key; each is one small query, but building it with the ORM (filters,
joins, column lists, quoting) cost more CPU than PostgreSQL spent answering it
(docs/performance.md). ``CompiledQuery`` keeps the ORM as the author of the SQL: the
queryset is built once, with stand-in values, and compiled by the database's own
compiler; later calls run that SQL with their own values, prepared by the same fields the
ORM would use. No SQL is written by hand, and each database gets its own text.

The queryset is compiled twice, with two sets of stand-ins. A parameter that is a stand-in
(prepared by its field, compared for equality) takes that value on every call; a parameter
that is the same in both compilations is a constant of the queryset (a literal in a
filter) and stays as it is; anything else (a value derived from a stand-in, a clock read
while building) is refused when first compiled, as is a value that never reaches the SQL,
so a change to one of these querysets fails loudly in the tests instead of running other
SQL.
"""

from __future__ import annotations

import datetime
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)

# Stand-ins no real row holds, one per kind of value a compiled query takes.
_STAND_INS: dict[str, Callable[[int], Any]] = {
    "uuid": lambda n: uuid.UUID(int=0x5EED_0000_0000_0000_0000_0000_0000_0000 + n),
    "text": lambda n: f"\x1fportal-compiled-stand-in-{n}\x1f",
    "datetime": lambda n: datetime.datetime(1901, 2, 3, 4, 5, n, 654321, tzinfo=datetime.UTC),
}


@dataclass(frozen=True)
class _Compiled:
    """One database connection's compilation: the SQL, which value goes in each parameter
    position, and the compiler that knows the columns (to convert rows and build objects)."""

    sql: str
    positions: tuple[int | None, ...]  # None: a constant, kept in ``constants``
    constants: tuple[Any, ...]
    compiler: SQLCompiler
    locks: bool
    populators: list[Any]
    converters: dict[int, Any]


class CompiledQuery(Generic[M]):
    """``build(*values)``'s SQL, compiled once per database connection.

    ``params`` names, for each value ``build`` takes, its kind (``"uuid"``, ``"text"`` or
    ``"datetime"``) and a function giving the field that prepares it for the database (the
    field it is compared with; a function, so models need not be loaded at import).
    ``rows`` returns the rows of a ``values_list`` queryset, ``objects`` the model
    instances of a model queryset (``select_related`` included); both go through the
    compiler's own converters and ``Model.from_db``, as the ORM's iteration does. A
    queryset that locks rows (``select_for_update``) is refused outside a transaction, as
    the ORM refuses it."""

    def __init__(self, build: Callable[..., QuerySet[M, Any]],
                 params: Sequence[tuple[str, Callable[[], Field[Any, Any]]]]) -> None:
        self._build = build
        self._param_specs = tuple(params)
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = \
            weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _fields(self) -> list[Field[Any, Any]]:
        return [field() for _kind, field in self._param_specs]

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        """Compile the queryset, built with stand-ins, for ``connection``, and find where
        each stand-in went among the parameters (see the module docstring)."""
        fields = self._fields()
        compilations = []
        for offset in (0, len(fields)):
            stand_ins = [_STAND_INS[kind](offset + number) for number, (kind, _field) in
                         enumerate(self._param_specs)]
            queryset = self._build(*stand_ins)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            prepared = [field.get_db_prep_value(value, connection)
                        for value, field in zip(stand_ins, fields, strict=True)]
            compilations.append((sql, list(params), prepared))
        (sql, params, prepared), (other_sql, other_params, _other) = compilations
        if other_sql != sql or len(other_params) != len(params):
            raise ValueError("CompiledQuery: the SQL depends on the values given; run this "
                             "queryset with the ORM instead.")
        positions: list[int | None] = []
        for param, other in zip(params, other_params, strict=True):
            matches = [index for index, value in enumerate(prepared) if value == param]
            if len(matches) == 1:
                positions.append(matches[0])
            elif not matches and param == other:
                positions.append(None)  # the same in both: a constant of the queryset
            else:
                raise ValueError(f"CompiledQuery: the parameter {param!r} is neither one of "
                                 "the values given nor a constant; run this queryset with "
                                 "the ORM instead.")
        if {index for index in positions if index is not None} != set(range(len(prepared))):
            raise ValueError("CompiledQuery: a value given does not reach the SQL.")
        populators = (get_related_populators(  # type: ignore[call-arg]  # stubs: Django 6
                          compiler.klass_info, compiler.select, connection.alias)
                      if compiler.klass_info else [])
        columns = [column[0] for column in compiler.select[:compiler.col_count]]
        locks = bool(queryset.query.select_for_update) and \
            connection.features.has_select_for_update
        return _Compiled(sql, tuple(positions), tuple(params), compiler, locks, populators,
                         compiler.get_converters(columns))

    def _run(self, values: Sequence[Any], using: str) -> tuple[_Compiled, list[Any]]:
        """Run the compiled SQL with ``values``; the compilation and the converted rows."""
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compile(connection)
            with self._lock:
                self._compiled[connection] = compiled
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction.")
        prepared = [field.get_db_prep_value(value, connection)
                    for value, field in zip(values, self._fields(), strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [
                constant if index is None else prepared[index]
                for index, constant in zip(compiled.positions, compiled.constants, strict=True)])
            fetched = cursor.fetchall()
        if not compiled.converters:
            return compiled, fetched
        return compiled, list(compiled.compiler.apply_converters(fetched, compiled.converters))

    def rows(self, *values: Any, using: str = "default") -> list[tuple[Any, ...]]:
        """The rows of the compiled ``values_list`` queryset for ``values``."""
        return [tuple(row) for row in self._run(values, using)[1]]

    def objects(self, *values: Any, using: str = "default") -> list[M]:
        """The model instances of the compiled queryset for ``values``, built as Django's
        ``ModelIterable`` builds them (``from_db``, related objects from the join)."""
        compiled, rows = self._run(values, using)
        compiler = compiled.compiler
        klass_info = compiler.klass_info
        if klass_info is None:  # pragma: no cover - a values_list queryset: use rows()
            raise TypeError("CompiledQuery.objects needs a model queryset; use rows().")
        model_cls = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in compiler.select[first:last]]
        annotations = compiler.annotation_col_map or {}
        found = []
        for row in rows:
            obj = model_cls.from_db(using, init_list, row[first:last])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found
