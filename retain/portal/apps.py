"""The customer's own side: contacts sign in by an e-mailed link and see their plan, critical path,
reviews and resources.
"""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "retain.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Portal use is an engagement measure (health catalogue + measures, playbook snapshots), and
        # a sign-in e-mail loses its link once sent (a messaging delivery handler).
        from retain.portal.measures import register_measures
        from retain.portal.services import register_delivery_handler

        register_measures()
        register_delivery_handler()
