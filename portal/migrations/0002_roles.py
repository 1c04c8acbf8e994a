"""Create the three role groups and give each its permissions.

Permissions are normally created after migrations (post_migrate); this migration creates
them first so that the groups can be filled here, in every database, including test ones.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "client": ["access_client_pages"],
    "clinician": ["access_staff_pages"],
    "practice_admin": [
        "access_staff_pages",
        "manage_invitations",
        "manage_practice_settings",
    ],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = Permission.objects.filter(
            content_type__app_label="portal", codename__in=codenames
        )
        if permissions.count() != len(codenames):
            raise RuntimeError(f"Missing permissions for role {group_name}")
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
