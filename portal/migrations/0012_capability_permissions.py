"""Split ``manage_invitations`` into permissions named for what they allow.

Until now ``manage_invitations`` also decided who sees every client, who drafts and
publishes consent documents, who changes care teams and who erases clients. Each of those
is now its own permission. Whoever held ``manage_invitations`` (the practice admin group,
and any other group or account given it by hand) is given all four, so nobody can do more
or less than before the migration.

Permissions are normally created after migrations (post_migrate), so the new ones are
created here first, on the ``portal.user`` content type, as ``0002_roles`` does.
"""

from django.db import migrations

NEW_PERMISSIONS = {
    "see_all_clients": "Can see every client of the practice",
    "manage_consent_documents": "Can draft and publish consent documents and chase signatures",
    "manage_care_teams": "Can change the care team of any client",
    "erase_clients": "Can erase a client by destroying their keys",
}


def grant_capabilities(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("portal", "User")
    user_type, _ = ContentType.objects.get_or_create(app_label="portal", model="user")
    granted = []
    for codename, name in NEW_PERMISSIONS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=user_type, codename=codename, defaults={"name": name}
        )
        granted.append(permission)
    groups = Group.objects.filter(name="practice_admin") | Group.objects.filter(
        permissions__content_type=user_type, permissions__codename="manage_invitations"
    )
    for group in groups.distinct():
        group.permissions.add(*granted)
    for user in User.objects.filter(
        user_permissions__content_type=user_type, user_permissions__codename="manage_invitations"
    ).distinct():
        user.user_permissions.add(*granted)


def revoke_capabilities(apps, schema_editor):
    # Deleting the permissions takes them off every group and account that held them;
    # ``manage_invitations`` alone decides again, as it did before.
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="portal", codename__in=NEW_PERMISSIONS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0011_practice_settings_for_consent_documents"),
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
                ]
            },
        ),
        migrations.RunPython(grant_capabilities, revoke_capabilities),
    ]
