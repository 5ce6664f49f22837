"""The customer's own side: contacts sign in by an e-mailed link and see their plan, critical path,
reviews and resources."""
