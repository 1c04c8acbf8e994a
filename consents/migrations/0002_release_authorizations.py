"""Authorizations to release information: their details (encrypted) and an end date on
any signature, so the register can tell expiry without decrypting."""

import django.db.models.deletion
import portal.crypto.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('consents', '0001_consent_documents_versions_signatures'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='consentsignature',
            name='expires_on',
            field=models.DateField(blank=True, help_text='The last day the agreement holds (authorizations); none: until withdrawn.', null=True),
        ),
        migrations.CreateModel(
            name='ReleaseAuthorization',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('submission', models.UUIDField(help_text="The form's one-time id: submitting the same form twice signs once.")),
                ('information', portal.crypto.fields.EncryptedTextField(max_length=2000)),
                ('includes_substance_use', models.BooleanField(default=False)),
                ('substance_use_information', portal.crypto.fields.EncryptedTextField(blank=True, max_length=2000, null=True)),
                ('discloser', portal.crypto.fields.EncryptedTextField(max_length=500)),
                ('recipient', portal.crypto.fields.EncryptedTextField(max_length=1000)),
                ('purpose', portal.crypto.fields.EncryptedTextField(max_length=1000)),
                ('expiry_event', portal.crypto.fields.EncryptedTextField(blank=True, max_length=500, null=True)),
                ('required_statements', models.TextField(help_text='The statements shown above the signature, word for word.')),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='release_authorizations', to=settings.AUTH_USER_MODEL)),
                ('signature', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='authorization', to='consents.consentsignature')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('client', 'submission'), name='release_authorization_submitted_once')],
            },
        ),
    ]
