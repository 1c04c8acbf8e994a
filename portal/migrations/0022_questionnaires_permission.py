"""``manage_questionnaires``: who drafts and publishes the intake questionnaires (the
builder) and chooses which one each kind of intake starts on. Given to the practice admin
group, as every practice capability (``0014_outgoing_messages_permission`` does the same)."""

from django.db import migrations

CODENAME = "manage_questionnaires"
NAME = "Can draft and publish the intake questionnaires and choose who answers which"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    user_type, _ = ContentType.objects.get_or_create(app_label="portal", model="user")
    permission, _ = Permission.objects.get_or_create(
        content_type=user_type, codename=CODENAME, defaults={"name": NAME})
    for group in Group.objects.filter(name="practice_admin"):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="portal", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0021_practice_wordings_in_other_languages"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    ("access_client_pages", "Can use the client pages"),
                    ("access_staff_pages", "Can use the staff workspace"),
                    ("manage_invitations", "Can invite clients and manage invitations"),
                    ("see_all_clients", "Can see every client of the practice"),
                    ("manage_consent_documents",
                     "Can draft and publish consent documents and chase signatures"),
                    ("manage_care_teams", "Can change the care team of any client"),
                    ("erase_clients", "Can erase a client by destroying their keys"),
                    ("manage_practice_settings", "Can change the practice's settings"),
                    ("view_audit_log", "Can search and export the whole audit trail"),
                    ("manage_outgoing_messages",
                     "Can see emails the portal could not send, and send them again"),
                    ("manage_questionnaires", NAME),
                ]
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
