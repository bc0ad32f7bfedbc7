from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrosssellConfig(AppConfig):
    name = "crosssell_app"
    verbose_name = _("Cross-sell and up-sell")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (register checks and signal receivers)
        from .experiments import receivers as experiment_receivers  # noqa: F401
