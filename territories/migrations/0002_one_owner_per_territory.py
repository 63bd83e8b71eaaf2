"""At most one owner of a territory on any date, guaranteed by PostgreSQL.

The services check the same rule under a row lock on every database; on PostgreSQL
an exclusion constraint also makes it impossible to break by any other path
(concurrent requests, raw SQL). SQLite, the zero-setup demo database, has no
exclusion constraints, so this migration does nothing there.
"""

from django.db import migrations

CONSTRAINT = "territorymember_one_owner_at_a_time"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"""
        ALTER TABLE territories_territorymember ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (
            territory_id WITH =,
            daterange(start_date, end_date, '[]') WITH &&
        ) WHERE (role = 'owner')
        """
    )


def remove_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE territories_territorymember DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, remove_constraint)]
