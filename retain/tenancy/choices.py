from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CSM = "csm", "CSM"
    VIEWER = "viewer", "Viewer"


class CsmKind(models.TextChoices):
    """Seed 000/002: the kinds of customer-success managers and the books they carry."""

    STRATEGIC = "strategic", "Strategic"
    ENTERPRISE = "enterprise", "Enterprise"
    SMB = "smb", "SMB"
    OPERATIONAL = "operational", "Operational"


class CapacityUnit(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    ARR = "arr", "ARR"
