"""Fast bulk inserts for launch-sized writes (150k comparisons).

`bulk_create` spends most of its time building model instances and compiling SQL per
row; here rows are plain tuples and the statement is built once. PostgreSQL gets
`execute_values` (multi-row VALUES pages), SQLite `executemany` (a C loop). Column
names and value conversion come from the model's own fields, so a renamed field
cannot silently drift. Database constraints and the same-study triggers still apply.

Callers validate values before they get here (tasks/lib/jsonsafe.py: no NUL, no lone
surrogate, no non-finite number). As a last line, whatever the raw psycopg2 cursor or
sqlite3 still refuses is raised as Django's `DataError` / `IntegrityError` (never as a
driver exception or a bare ValueError), so the caller's transaction handling sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import DataError, connection, models

PAGE_SIZE = 5000


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a concrete column")
    return field


def rows_insert(
    *,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    constants: dict[str, Any] | None = None,
) -> int:
    """INSERT `rows` (values for `columns`, already in database form: ids, strings) plus `constants`
    (converted once through their fields) into `model`'s table. Returns the number of rows."""
    constants = constants or {}
    meta = model._meta
    variable_fields = [_concrete(model, name) for name in columns]
    constant_fields = [_concrete(model, name) for name in constants]
    constant_values = tuple(field.get_db_prep_save(constants[field.name], connection) for field in constant_fields)
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in [*variable_fields, *constant_fields])
    table = quote(meta.db_table)
    total = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # A launch touches ~10 indexes per row; the default 2 MB page cache would spill.
            cursor.execute("PRAGMA cache_size = -131072")
        while True:
            page = [row + constant_values for row in islice(iterator, PAGE_SIZE)]
            if not page:
                break
            total += len(page)
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values  # noqa: PLC0415 (PostgreSQL only)

                # Constants are quoted once into the row template; only the variable values are adapted per row.
                raw = cursor.cursor
                fixed = raw.mogrify(", ".join(["%s"] * len(constant_values)), constant_values).decode()
                template = (
                    "(" + ", ".join(["%s"] * len(columns)) + (", " + fixed.replace("%", "%%") if fixed else "") + ")"
                )
                try:
                    with connection.wrap_database_errors:  # psycopg2.DataError -> django.db.DataError, ...
                        execute_values(
                            raw,
                            f"INSERT INTO {table} ({names}) VALUES %s",  # noqa: S608
                            [row[: len(columns)] for row in page],
                            template=template,
                            page_size=PAGE_SIZE,
                        )
                except ValueError as exc:  # psycopg2 refuses NUL in a string before sending anything
                    raise DataError(str(exc)) from exc
            else:
                placeholders = ", ".join(["%s"] * len(page[0]))
                try:
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", page)  # noqa: S608
                except UnicodeEncodeError as exc:  # sqlite3 cannot encode a lone surrogate
                    raise DataError(str(exc)) from exc
    return total
