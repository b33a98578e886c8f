from django.db import migrations

# Survey policies are edited by service level managers and administrators (surveys/access.py).
POLICY_EDITORS = ("Service level manager", "Administrator")


def roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="surveys", codename="change_surveypolicy")
    for group in Group.objects.filter(name__in=POLICY_EDITORS):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
