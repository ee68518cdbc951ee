"""The large logs' tables become time-partitioned tables on PostgreSQL (logging_app/
partitions.py, docs/partitions.md); SQLite keeps its plain tables.

A table that holds rows is kept as it is, as the partition `<table>_legacy` from the
beginning of time to the end of the current period: its indexes are the new table's (each
index of the partitioned table takes the partition's equal one), and only its primary key
and ingest key are built again, with the time in them (partitioned tables allow no unique
key without their partition key). docs/partitions.md says how long that takes at 10M rows.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations

EPOCH = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday: 7-day periods are calendar weeks

# Table, time column, the days of the period the legacy partition ends with, and the
# column and values a period keeps apart (the CDR's direct calls), as the logs' specs
# declare them when this migration was written.
TABLES = (
    ("logging_app_calldetailrecord", "call_date", 7, ("call_type", ("CALL", "TRANSFER"))),
    ("logging_app_sipsessionevent", "timestamp", 7, None),
    ("logging_app_websessionevent", "date_created", 30, None),
    ("logging_app_securityevent", "timestamp", 30, None),
)


def _one(cursor, sql: str, params=()) -> object:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def _partition(schema_editor, table: str, time: str, days: int, apart) -> None:
    quote = schema_editor.quote_name
    legacy = f"{table}_legacy"
    with schema_editor.connection.cursor() as cursor:
        if _one(cursor, "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table]) == "p":
            return  # partitioned already
        has_rows = _one(cursor, f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
        sequence = _one(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])
        next_id = _one(cursor, f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {sequence}")

        # Free the names: the old table, its indexes and statistics take a suffix.
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid), c.contype FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = x.indrelid "
            "WHERE x.indrelid = to_regclass(%s)",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT stxname, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext "
            "WHERE stxrelid = to_regclass(%s)",
            [table],
        )
        statistics = cursor.fetchall()
        for name, _, contype in indexes:
            if contype in ("p", "u"):
                cursor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} "
                    f"TO {quote(name + '_l')}"
                )
            else:
                cursor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote(name + '_l')}")
        for name, _ in statistics:
            cursor.execute(f"ALTER STATISTICS {quote(name)} RENAME TO {quote(name + '_l')}")
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(legacy)}")
        cursor.execute(f"ALTER TABLE {quote(legacy)} ALTER COLUMN id DROP IDENTITY IF EXISTS")

        # The partitioned table: the same columns, defaults and checks; ids from a sequence
        # of its own, continuing the old one.
        cursor.execute(
            f"CREATE TABLE {quote(table)} (LIKE {quote(legacy)} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS) PARTITION BY RANGE ({quote(time)})"
        )
        new_sequence = f"{table}_id_seq"
        cursor.execute(f"CREATE SEQUENCE {quote(new_sequence)} START WITH {int(next_id or 1)}")
        cursor.execute(
            f"ALTER TABLE {quote(table)} ALTER COLUMN id SET DEFAULT "
            f"nextval('{new_sequence}'::regclass)"
        )
        cursor.execute(f"ALTER SEQUENCE {quote(new_sequence)} OWNED BY {quote(table)}.id")
        keyed = ", ".join(quote(column) for column in (time, *([apart[0]] if apart else ())))
        cursor.execute(f"ALTER TABLE {quote(table)} ADD PRIMARY KEY (id, {keyed})")
        cursor.execute(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(table + '_event_id_key')} "
            f"UNIQUE (event_id, {keyed})"
        )
        # The indexes and statistics as they were defined, read before the renames: they
        # name the table, which is now the partitioned one.
        for _, definition, contype in indexes:
            if contype not in ("p", "u"):
                cursor.execute(definition)
        for _, definition in statistics:
            cursor.execute(definition)

        now = datetime.now(UTC)
        length = timedelta(days=days)
        boundary = EPOCH + ((now - EPOCH) // length + 1) * length
        cursor.execute(f"CREATE TABLE {quote(table + '_default')} PARTITION OF {quote(table)} DEFAULT")
        if not has_rows:
            cursor.execute(f"DROP TABLE {quote(legacy)}")
            return
        # The old table holds the past, to the end of the current period; rows dated later
        # (a clock ahead) go to the default partition.
        for name, _, contype in indexes:
            if contype in ("p", "u"):
                cursor.execute(f"ALTER TABLE {quote(legacy)} DROP CONSTRAINT {quote(name + '_l')}")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {quote(legacy)} WHERE {quote(time)} >= %s "
            f"RETURNING *) INSERT INTO {quote(table)} SELECT * FROM moved",
            [boundary],
        )
        cursor.execute(
            f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(legacy)} "
            "FOR VALUES FROM (MINVALUE) TO (%s)",
            [boundary],
        )


def partition_large_logs(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, time, days, apart in TABLES:
        _partition(schema_editor, table, time, days, apart)
    # The partitions of the current and next periods, as the worker keeps them.
    from logging_app.partitions import keep_partitions

    keep_partitions()


class Migration(migrations.Migration):
    # DDL and the moves of rows run in one transaction: a failure leaves the tables as
    # they were.
    dependencies = [("logging_app", "0011_hourly_figures")]

    operations = [
        migrations.RunPython(partition_large_logs, migrations.RunPython.noop, elidable=False),
    ]
