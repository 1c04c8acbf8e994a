"""The scores of every intake sent before the series existed become the first points of
each client's series (issue 18: "the intake's scores become the first point of each
series"). Forward only does work; backward removes the points that came from intakes.

Like ``intake 0008``, this reads and writes encrypted values, which historical models
cannot do (they lack ``get_encryption_owner()``): it runs the live code
(``measures.intake_scores.backfill_from_sent_intakes``), which reads only the columns it
names (``.only``) so later migrations' columns do not matter. Idempotent: running it again
adds nothing. An erased client's intakes are skipped.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from measures.intake_scores import backfill_from_sent_intakes

    backfill_from_sent_intakes()


def backwards(apps, schema_editor):
    apps.get_model("measures", "MeasureResponse").objects.filter(source="intake").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("measures", "0001_measures"),
        ("intake", "0011_intake_case"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
