"""Recompute blind indexes: the name normaliser became accent-insensitive, so indexes
written before it would no longer match a search. Uses the live models, as the encryption
layer needs their key owners (see docs/key-management.md, "Moving a plaintext column")."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from portal.crypto.blind_index import rebuild_blind_indexes

    # The name-word rows are built by 0008, which creates their table.
    rebuild_blind_indexes(with_tokens=False)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_encrypt_mfa_secrets")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
