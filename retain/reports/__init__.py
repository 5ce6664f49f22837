"""Quarterly business reviews (QBR packs) and leadership packs: one template rendered as a page and as PDF."""
