"""Consent versions per language: each version's language (existing rows are English), its
title as read in that language (blank: the document's), and which canonical recipe its
SHA-256 was taken with. Versions published before get recipe 1, the one they were hashed
with, so every stored hash still recomputes; versions published from now on use recipe 2,
which covers the language and the title.

Adding columns with a default writes no UPDATE (on PostgreSQL it is DDL, on SQLite the
table is copied), so the trigger that freezes published versions is not in the way."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("consents", "0004_signer_sets_and_case_documents"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentversion",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.AddField(
            model_name="consentversion",
            name="title",
            field=models.CharField(blank=True, max_length=200),
        ),
        # Existing rows: recipe 1; new rows: recipe 2 (only the default changes, no SQL).
        migrations.AddField(
            model_name="consentversion",
            name="canonical_form",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="consentversion",
            name="canonical_form",
            field=models.PositiveSmallIntegerField(default=2),
        ),
    ]
