"""Approval rules the database keeps: decisions cannot be updated or deleted (a trigger), the
permission to decide for another approver (granted to administrators), and the approval events of
the timeline."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def grant_roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('servicedesk', '0011_approvals'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='approvaldecision',
            options={'ordering': ['at', 'id'], 'permissions': [('decide_for_others', 'Can decide an approval on behalf of another approver')]},
        ),
        migrations.AlterField(
            model_name='timelineentry',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('state', 'State changed'), ('assigned', 'Assigned'), ('escalated', 'Escalated'), ('fields', 'Fields changed'), ('comment', 'Comment'), ('work_note', 'Work note'), ('time', 'Time recorded'), ('attachment', 'Attachment'), ('ci_linked', 'CI linked'), ('ci_unlinked', 'CI unlinked'), ('parent', 'Parent set'), ('merged', 'Merged'), ('notified', 'Notified'), ('watchers', 'Watchers changed'), ('approval_requested', 'Approval requested'), ('approval_vote', 'Approval decision'), ('approval_step', 'Approval step decided'), ('approval_decided', 'Approval decided'), ('approval_cancelled', 'Approval cancelled')], max_length=20),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='approvaldecision',
            trigger=pgtrigger.compiler.Trigger(name='approval_decision_immutable', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='cd8eed3a7db5031327a15285b41f3427fa8211d6', operation='UPDATE OR DELETE', pgid='pgtrigger_approval_decision_immutable_fae75', table='servicedesk_approvaldecision', when='BEFORE')),
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
