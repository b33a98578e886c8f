from django.apps import AppConfig


class EsmConfig(AppConfig):
    name = "esm"
    verbose_name = "ESM"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
