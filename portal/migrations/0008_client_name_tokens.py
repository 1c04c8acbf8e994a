"""Name tokens: a blind index per word of a client's legal name, so staff can find a client
by a family or first name alone (``portal.models.ClientNameToken``). The rows for existing
profiles are built here. Like 0006 this uses the live models, as decrypting needs their key
owners, and reads only the columns it needs (see docs/key-management.md, "Moving a
plaintext column")."""

import django.db.models.deletion
from django.db import migrations, models


def build_tokens(apps, schema_editor):
    from portal.crypto.datakeys import key_scope
    from portal.crypto.models import batches_by_pk
    from portal.models import ClientNameToken, ClientProfile

    profiles = ClientProfile.objects.only("id", "user_id", "legal_name")
    for rows in batches_by_pk(profiles, 500):
        with key_scope():
            ClientNameToken.replace_for(rows)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0007_audit_trail_and_care_team"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClientNameToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("token", models.CharField(editable=False, max_length=4)),
                ("profile", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="name_tokens",
                                              to="portal.clientprofile")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("profile", "token"),
                                                        name="client_name_token_once")],
                "indexes": [models.Index(fields=["token", "profile"],
                                         name="client_name_token_lookup")],
            },
        ),
        migrations.RunPython(build_tokens, migrations.RunPython.noop),
    ]
