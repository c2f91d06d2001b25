"""Indexes the list pages need at 100,000 customers and 500,000 activities (bench/scale.py): the
activities' default order, and on PostgreSQL trigram indexes for the customer search, which matches
anywhere in the name, pinyin initials, phone and tax id (`LIKE '%…%'`, otherwise a scan of every
customer). pg_trgm is a trusted extension: the database owner may create it."""

from django.db import migrations, models

# The expressions Django's lookups produce: name__icontains is UPPER(name::text) LIKE UPPER(%s);
# the others are contains (column::text LIKE %s).
TRIGRAM = [
    ("crm_customer_name_trgm", "UPPER(name::text)"),
    ("crm_customer_pinyin_trgm", "(pinyin::text)"),
    ("crm_customer_name_key_trgm", "(name_key::text)"),
    ("crm_customer_phone_key_trgm", "(phone_key::text)"),
    ("crm_customer_tax_id_trgm", "(tax_id::text)"),
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in TRIGRAM:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_customer USING gin ({expression} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression in TRIGRAM:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_version_for_optimistic_locking"),
        ("org", "0002_version_for_optimistic_locking"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["-occurred_at", "-id"], name="crm_activity_recent_idx"),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
