from django.db import models


class SpendCategory(models.TextChoices):
    """What a period's spend paid for: winning customers (CAC) or keeping them (CRC)."""

    SALES_MARKETING = "sales_marketing", "Sales and marketing"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
