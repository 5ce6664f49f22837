from django.db import models


class Source(models.TextChoices):
    EMAIL = "email", "E-mail"
    ZENDESK = "zendesk", "Zendesk"
    INTERCOM = "intercom", "Intercom"
    SLACK = "slack", "Slack"
    API = "api", "API"
    FORM = "form", "Form"
    WEBHOOK = "webhook", "Webhook"
    PORTAL = "portal", "Customer portal"


class Desk(models.TextChoices):
    SUPPORT = "support", "Support"
    CSM = "csm", "Customer success"
    TRIAGE = "triage", "Triage"


class DecidedBy(models.TextChoices):
    RULE = "rule", "Rule"
    MODEL = "model", "Model"
    TRIAGE = "triage", "Unsure (triage)"
    PERSON = "person", "Person"
