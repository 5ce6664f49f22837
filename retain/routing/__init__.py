"""Inbound questions: intake from e-mail, helpdesks, Slack and the API; rules and a classifier send each to a desk."""
