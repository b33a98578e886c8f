"""Defaults: the change manager's permission on its roles, and a starting risk questionnaire."""

from django.db import migrations

from accounts.roles import sync_roles
from changes.risk import DEFAULT_QUESTIONS


def forwards(apps, schema_editor):
    sync_roles(apps)
    RiskQuestion = apps.get_model("changes", "RiskQuestion")
    if RiskQuestion.objects.exists():
        return
    for order, (text, help_text, risky, weight) in enumerate(DEFAULT_QUESTIONS, start=1):
        RiskQuestion.objects.create(text=text, help_text=help_text, risky_answer=risky, weight=weight, order=order)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0002_cab_rule_policy"),
        ("accounts", "0002_login_lockout"),
        ("incidents", "0002_defaults"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
