"""Defaults: the change manager's permission on its roles, and a starting risk questionnaire."""

from django.db import migrations
from django.utils.translation import gettext_noop as N_

from accounts.roles import sync_roles

# (text, help text, risky answer, weight): administrators edit them in the admin. Marked for
# translation: pages show a question in the reader's language while its text is the one shipped.
QUESTIONS = [
    (N_("Was the change tested in a staging or test environment?"),
     N_("Tested with data and load like production's."), False, 15),
    (N_("Has the back-out plan been tested?"), N_("Someone has rolled it back before, in a test environment."),
     False, 15),
    (N_("Will users notice the change while it is made?"), N_("Slowness, sessions lost, features missing."), True, 10),
    (N_("Does the change need an outage?"), N_("A service is unavailable for part of the window."), True, 15),
    (N_("Has the team made this change before?"), N_("The same steps, on the same kind of CI."), False, 10),
]


def forwards(apps, schema_editor):
    sync_roles(apps)
    RiskQuestion = apps.get_model("changes", "RiskQuestion")
    if RiskQuestion.objects.exists():
        return
    for order, (text, help_text, risky, weight) in enumerate(QUESTIONS, start=1):
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
