from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "retain.tasks"
    label = "tasks"
    verbose_name = "Tasks"
