from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "retain.messaging"
    label = "messaging"
    verbose_name = "Messaging"
