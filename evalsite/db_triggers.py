"""Database triggers that keep every row of a study inside that study.

Django has no composite foreign keys, so "an Output and its Comparison belong to
the same Study" (and the like) is enforced by triggers, in PostgreSQL and
SQLite alike. They are (re)installed after every `migrate` (post_migrate),
because SQLite's table rebuilds during later migrations drop triggers; the
statements are idempotent. A violation raises IntegrityError.
"""

from __future__ import annotations

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# table -> (trigger name, [(column on NEW, table it points to, that table's column that must equal, NEW column)])
# Each rule reads: (SELECT <col> FROM <ref_table> WHERE id = NEW.<fk>) must equal NEW.<own>.
RULES: list[tuple[str, str, list[tuple[str, str, str, str]]]] = [
    (
        "tasks_output",
        "output_same_study",
        [
            ("prompt_id", "tasks_prompt", "study_id", "study_id"),
            ("system_id", "tasks_system", "study_id", "study_id"),
        ],
    ),
    (
        "tasks_comparison",
        "comparison_same_study",
        [
            ("prompt_id", "tasks_prompt", "study_id", "study_id"),
            ("output_a_id", "tasks_output", "study_id", "study_id"),
            ("output_b_id", "tasks_output", "study_id", "study_id"),
            ("output_a_id", "tasks_output", "prompt_id", "prompt_id"),
            ("output_b_id", "tasks_output", "prompt_id", "prompt_id"),
        ],
    ),
    (
        "tasks_assignment",
        "assignment_same_study",
        [
            ("comparison_id", "tasks_comparison", "study_id", "study_id"),
            ("rater_id", "tasks_rater", "study_id", "study_id"),
        ],
    ),
    (
        "ratings_judgment",
        "judgment_matches_assignment",
        [
            ("assignment_id", "tasks_assignment", "study_id", "study_id"),
            ("assignment_id", "tasks_assignment", "comparison_id", "comparison_id"),
            ("assignment_id", "tasks_assignment", "rater_id", "rater_id"),
        ],
    ),
    (
        "ratings_judgmentchoice",
        "choice_same_study",
        [("judgment_id", "ratings_judgment", "study_id", "study_id")],
    ),
]


def _mismatch(fk: str, ref_table: str, ref_col: str, own: str, *, distinct: str) -> str:
    return f"((SELECT {ref_col} FROM {ref_table} WHERE id = NEW.{fk}) {distinct} NEW.{own})"


def trigger_statements(vendor: str, tables: set[str] | None = None) -> list[str]:
    """SQL that installs the triggers on `vendor` for the RULES whose tables are in `tables` (all if None)."""
    statements: list[str] = []
    for table, name, rules in RULES:
        if tables is not None and not {table, *(rule[1] for rule in rules)} <= tables:
            continue
        message = f"{name}: rows of {table} must stay within one study"
        if vendor == "postgresql":
            cond = " OR ".join(_mismatch(*rule, distinct="IS DISTINCT FROM") for rule in rules)
            statements.append(
                f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN "
                f"IF {cond} THEN RAISE EXCEPTION '{message}' USING ERRCODE = '23514'; END IF; "
                f"RETURN NEW; END; $$ LANGUAGE plpgsql"
            )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
            )
        elif vendor == "sqlite":
            cond = " OR ".join(_mismatch(*rule, distinct="IS NOT") for rule in rules)
            for event in ("INSERT", "UPDATE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {name}_{event.lower()} BEFORE {event} ON {table} "
                    f"FOR EACH ROW WHEN {cond} BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
    return statements


def install(connection: BaseDatabaseWrapper) -> None:
    """Create or refresh every same-study trigger on this connection's database."""
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, tables):
            cursor.execute(statement)


def install_after_migrate(sender: object, using: str = "default", **kwargs: object) -> None:
    install(connections[using])
