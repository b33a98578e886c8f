from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _cmdb_changed(sender, **kwargs):
    from .impact import cmdb_changed

    cmdb_changed()


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self):
        # Cached impact answers (impact.affected_services_cached) follow every change of the graph.
        for name in ("ConfigurationItem", "Relationship", "RedundancyGroup", "RelationshipType", "CIClass"):
            model = self.get_model(name)
            post_save.connect(_cmdb_changed, sender=model, dispatch_uid=f"cmdb-generation-save-{name}")
            post_delete.connect(_cmdb_changed, sender=model, dispatch_uid=f"cmdb-generation-delete-{name}")
