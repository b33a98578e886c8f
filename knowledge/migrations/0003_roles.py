from django.db import migrations


def roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_document")]

    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
