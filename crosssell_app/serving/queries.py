"""Run a list's query again for new ids without building and compiling its queryset again.

A widget's query is always the same few shapes: the same rules, the same joins and ordering,
the same limit — only the ids change (the product, the user, the basket, the version). Building
that queryset (the rules' ``Q`` objects, ``select_related``, ordering) and compiling it to SQL
took Django longer than the database took to run it, on every request. So the first request of
a *shape* builds it once with stand-in ids, notes where each stand-in landed among the SQL
parameters, and keeps the SQL text; later requests of the shape put their own ids in those
places and run the same text. Rows become model instances the way Django's own ``ModelIterable``
does (``from_db``, ``select_related`` populators, annotations, the database converters).

Safety: the first request of a shape also builds its queryset the ordinary way with its real
ids, and the shape is kept only if that gives the same SQL text and the same parameters as the
filled-in template. A shape that fails the check, whose stand-ins cannot be found, or whose ids
include ``None`` (which the ORM leaves out of ``IN`` lists) always takes the ordinary path.
Compiled statements hold a connection, so they are kept per thread; any settings change
(``override_settings`` in tests) drops them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, models, router
from django.db.models.query import get_related_populators

#: ids of one kind for one query: the model field that reads them, and their values in order
Ids = tuple[models.Field, Sequence[Any]]
#: shapes kept per thread, least recently used dropped first
MAX_SHAPES = 256
#: stand-in integers: inside every backend's 32-bit integer range (larger ones would be left out
#: of the SQL by the ORM's overflow checks) and far below any primary key a shop hands out
_FIRST_STAND_IN = -2_000_000_000

_local = threading.local()
_UNCACHEABLE = object()
#: bumped by every settings change: each thread drops its statements when it sees a new one
_generation = 0


@dataclass
class _Statement:
    """A compiled shape: its SQL, its parameters with stand-ins, and where each group's ids go."""

    compiler: Any
    sql: str
    params: list
    #: for each group, for each of its ids, the parameter positions it fills
    slots: dict[str, list[list[int]]]
    init_list: list[str]
    populators: list
    model_slice: slice

    def fill(self, ids: Mapping[str, Ids]) -> list:
        params = list(self.params)
        connection = self.compiler.connection
        for group, (field, values) in ids.items():
            for positions, value in zip(self.slots[group], values, strict=True):
                prepared = field.get_db_prep_value(value, connection)
                for position in positions:
                    params[position] = prepared
        return params

    def instances(self, rows: list) -> list[models.Model]:
        compiler = self.compiler
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        db, model = compiler.using, compiler.klass_info["model"]
        annotations = compiler.annotation_col_map
        objects = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(db, self.init_list, row[self.model_slice])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def fetch(model: type[models.Model], shape: Hashable, build: Callable[[Mapping[str, list]], models.QuerySet],
          ids: Mapping[str, Ids]) -> list:
    """Return the ``model`` instances of ``build(values)``, reusing the compiled SQL of ``shape``.

    ``shape`` must name everything but ``ids`` that changes the SQL (the caller's rules, limit,
    ordering); the number of ids in each group and the database are added here. ``build`` must
    return a queryset of ``model`` instances from a mapping of group name to id values.
    """
    values = {group: list(group_values) for group, (_field, group_values) in ids.items()}
    if any(value is None for group_values in values.values() for value in group_values):
        return list(build(values))
    db = router.db_for_read(model)
    key = (db, shape, tuple((group, len(group_values)) for group, group_values in values.items()))
    try:
        hash(key)
    except TypeError:  # a rule given as a list, say: fine for the ORM, not a shape
        return list(build(values))
    statements = _statements()
    statement = statements.get(key)
    if statement is None:
        statement = _compile(build, ids, build(values)) or _UNCACHEABLE
        statements[key] = statement
        while len(statements) > MAX_SHAPES:
            statements.popitem(last=False)
    else:
        statements.move_to_end(key)
    if statement is _UNCACHEABLE:
        return list(build(values))
    with connections[db].cursor() as cursor:
        cursor.execute(statement.sql, statement.fill(ids))
        rows = cursor.fetchall()
    return statement.instances(rows)


def _compile(build, ids: Mapping[str, Ids], real: models.QuerySet) -> _Statement | None:
    """Compile ``build`` with stand-in ids and check it against ``real``; ``None`` if it cannot be reused."""
    counter = iter(range(_FIRST_STAND_IN, 0))
    stand_ins: dict[str, list] = {}
    for group, (field, values) in ids.items():
        stand_ins[group] = [_stand_in(field, next(counter)) for _ in values]
        if any(value is None for value in stand_ins[group]):
            return None
    compiler = build(stand_ins).query.get_compiler(using=real.db)
    try:
        sql, params = compiler.as_sql()
        expected_sql, expected_params = real.query.get_compiler(using=real.db).as_sql()
    except EmptyResultSet:
        return None
    params = list(params)
    slots: dict[str, list[list[int]]] = {}
    for group, (field, _values) in ids.items():
        slots[group] = []
        for stand_in in stand_ins[group]:
            prepared = field.get_db_prep_value(stand_in, compiler.connection)
            positions = [i for i, param in enumerate(params) if type(param) is type(prepared) and param == prepared]
            if not positions:
                return None
            slots[group].append(positions)
    klass_info = compiler.klass_info
    if not klass_info:
        return None
    fields = klass_info["select_fields"]
    model_slice = slice(fields[0], fields[-1] + 1)
    statement = _Statement(
        compiler=compiler, sql=sql, params=params, slots=slots,
        init_list=[column[0].target.attname for column in compiler.select[model_slice]],
        populators=get_related_populators(klass_info, compiler.select, real.db),
        model_slice=model_slice,
    )
    # The ids of an ``IN (...)`` list may come in another order; nothing else may differ.
    if sql != expected_sql or _as_multiset(statement.fill(ids)) != _as_multiset(expected_params):
        return None
    return statement


def _stand_in(field: models.Field, number: int) -> Any:
    """Return a value of ``field``'s type that no real query holds, or ``None`` for other types."""
    target = getattr(field, "target_field", None) or field
    if isinstance(target, models.IntegerField):
        return number
    if isinstance(target, models.UUIDField):
        return uuid.UUID(int=-number)
    if isinstance(target, (models.CharField, models.TextField)):
        return f"\x1fcrosssell-stand-in-{-number}"
    return None


def _as_multiset(params: Sequence) -> Counter:
    return Counter((type(param), param) for param in params)


def _statements() -> OrderedDict:
    if getattr(_local, "generation", None) != _generation:
        _local.statements, _local.generation = OrderedDict(), _generation
    return _local.statements


def forget_statements(**kwargs: Any) -> None:
    """Drop every thread's compiled statements (settings may have changed what a shape compiles to)."""
    global _generation
    _generation += 1


setting_changed.connect(forget_statements, dispatch_uid="crosssell_forget_statements")
