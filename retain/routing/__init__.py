"""Inbound questions: intake from e-mail, helpdesks, Slack and the API; the team's rules and a
trained classifier send each to a desk.
"""
