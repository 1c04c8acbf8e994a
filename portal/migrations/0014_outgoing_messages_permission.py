"""``manage_outgoing_messages``: who sees the emails the queue gave up on and sends them
again. The practice admin group is given it (as every practice capability), created here
first on the ``portal.user`` content type, as ``0012_capability_permissions`` does."""

from django.db import migrations

CODENAME = "manage_outgoing_messages"
NAME = "Can see emails the portal could not send, and send them again"


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
        ("portal", "0013_outbox_and_scheduler"),
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
                    ("manage_outgoing_messages", NAME),
                ]
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
