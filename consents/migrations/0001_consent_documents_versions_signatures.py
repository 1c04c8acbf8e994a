"""Consent documents, versions and signatures. On PostgreSQL a trigger refuses any UPDATE
or DELETE of a published version, for anyone going around the application."""

import consents.models
import django.db.models.deletion
import django.utils.timezone
import portal.crypto.fields
import uuid
from django.conf import settings
from django.db import migrations, models



FROZEN_SQL = """
CREATE OR REPLACE FUNCTION consents_version_refuse_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'published consent versions never change: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consents_version_frozen_once_published
    BEFORE UPDATE OR DELETE ON consents_consentversion
    FOR EACH ROW EXECUTE FUNCTION consents_version_refuse_change();
"""
UNFREEZE_SQL = """
DROP TRIGGER IF EXISTS consents_version_frozen_once_published ON consents_consentversion;
DROP FUNCTION IF EXISTS consents_version_refuse_change();
"""


def add_frozen_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FROZEN_SQL, params=None)


def remove_frozen_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNFREEZE_SQL, params=None)

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsentDocument',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('electronic_signatures', 'Electronic records and signatures'), ('treatment', 'Informed consent to treatment'), ('privacy_notice', 'Notice of privacy practices'), ('telehealth', 'Telehealth'), ('communication', 'Communication'), ('fees', 'Fees and cancellation'), ('release_authorization', 'Authorization to release information')], max_length=32, unique=True)),
                ('title', models.CharField(max_length=200)),
                ('requirement', models.CharField(choices=[('before_intake', 'Required before the intake'), ('before_first_session', 'Required before the first session'), ('optional', 'Optional')], default='optional', max_length=32)),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'ordering': ('position', 'title'),
            },
        ),
        migrations.CreateModel(
            name='ConsentVersion',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('number', models.PositiveIntegerField(blank=True, null=True)),
                ('summary', models.TextField(max_length=2000)),
                ('body', models.TextField(help_text='Markdown.', max_length=100000)),
                ('effective_date', models.DateField(default=django.utils.timezone.localdate)),
                ('change_note', models.TextField(blank=True, max_length=2000)),
                ('material_change', models.BooleanField(default=False, help_text='Clients who signed an earlier version must sign again.')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('published_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='consents.consentdocument')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='ConsentSignature',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('sha256', models.CharField(help_text="The version's hash when signed.", max_length=64)),
                ('statement', models.TextField(help_text='The statement the client ticked, word for word.')),
                ('signed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('reference', models.CharField(default=consents.models._verification_reference, max_length=16, unique=True)),
                ('typed_name', portal.crypto.fields.EncryptedCharField(max_length=200)),
                ('representative_name', portal.crypto.fields.EncryptedCharField(blank=True, max_length=200, null=True)),
                ('representative_authority', portal.crypto.fields.EncryptedCharField(blank=True, max_length=200, null=True)),
                ('ip_address', portal.crypto.fields.EncryptedCharField(blank=True, max_length=45, null=True)),
                ('user_agent', portal.crypto.fields.EncryptedTextField(blank=True, max_length=256, null=True)),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('withdrawal_reason', portal.crypto.fields.EncryptedTextField(blank=True, max_length=1000, null=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consent_signatures', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='signatures', to='consents.consentversion')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='consentversion',
            constraint=models.UniqueConstraint(fields=('document', 'number'), name='consent_version_number_once'),
        ),
        migrations.AddConstraint(
            model_name='consentversion',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), models.Q(('number__isnull', False), ('published_at__isnull', False), models.Q(('sha256', ''), _negated=True)), _connector='OR'), name='consent_version_published_is_complete'),
        ),
        migrations.RunPython(add_frozen_trigger, remove_frozen_trigger),
    ]
