"""Write many rows of one of the app's tables without building model instances.

History imports and published versions write hundreds of thousands of rows; building a model
instance for each (``bulk_create``) costs more than the database work itself, so both go through
one parameterised ``INSERT`` run with ``executemany``. Constraints still apply: the database
checks keys and uniqueness.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, models, router


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (values in the order of ``columns``, database column names) into ``model``'s table."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))
