"""Encrypt allauth MFA secrets written before they were encrypted (databases seeded by an
earlier ``make run``). Plaintext is recognised by the missing ``enc1:`` prefix."""

from django.db import migrations

MFA_PURPOSE = "allauth.mfa.authenticator"


def encrypt_existing(apps, schema_editor):
    from portal.crypto.migration import encrypt_plaintext_mfa_data

    Authenticator = apps.get_model("mfa", "Authenticator")
    encrypt_plaintext_mfa_data(Authenticator.objects.all(), MFA_PURPOSE)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_key_rotation_runs"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
