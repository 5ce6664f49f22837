"""Word lists for the demo world: customer companies, people, titles, products and features.

Company names are composed from parts, so no real company list is needed; domains use the
reserved `.example` suffix so nothing the demo sends can ever reach a real mailbox.
"""

from __future__ import annotations

import random
import unicodedata

VENDOR = "Brightwave"
VENDOR_DOMAIN = "brightwave.example"

PRODUCT_PROFESSIONAL = "Marketing Hub Professional"
PRODUCT_ENTERPRISE = "Marketing Hub Enterprise"
ADD_ONS = ("Social Suite Add-on", "Additional Contacts Pack", "Advanced Attribution Add-on")

_FIRST_PARTS = (
    "North", "Blue", "Bright", "Silver", "Summit", "Harbor", "Pine", "Iron", "Clear", "Red", "Cedar",
    "Golden", "Stone", "River", "Maple", "Oak", "Sun", "Falcon", "Swift", "Lumen", "Nova", "Vela",
    "Copper", "Aspen", "Coral", "Ember", "Frost", "Granite", "Juniper", "Kestrel", "Lark", "Meadow",
    "Orbit", "Prairie", "Quarry", "Raven", "Sage", "Tidal", "Umber", "Willow", "Zephyr", "Alder",
)  # fmt: skip
_SECOND_PARTS = (
    "field", "wave", "stone", "bridge", "point", "path", "line", "works", "gate", "view", "crest",
    "ridge", "forge", "leaf", "light", "brook", "haven", "mark", "wind", "peak", "hill", "port",
)  # fmt: skip
_INVENTED = (
    "Vantorix", "Kalvio", "Zentora", "Quillon", "Trevanta", "Oxlane", "Pellucid", "Arvenna", "Corvida",
    "Delmira", "Fennix", "Galvanti", "Hovora", "Istera", "Jorvik", "Lumora", "Mavrix", "Nexora",
)  # fmt: skip
_KINDS = {
    "Software": ("Labs", "Software", "Analytics", "Systems", "Cloud", "Data"),
    "Healthcare": ("Health", "Dental", "Clinics", "Care", "Medical"),
    "Retail": ("Outfitters", "Apparel", "Goods", "Market", "Home"),
    "Manufacturing": ("Robotics", "Industries", "Manufacturing", "Tools", "Components"),
    "Financial services": ("Financial", "Capital", "Wealth", "Insurance", "Lending"),
    "Education": ("Academy", "Learning", "Education", "Institute"),
    "Travel & hospitality": ("Travel", "Hotels", "Resorts", "Tours"),
    "Real estate": ("Realty", "Properties", "Homes", "Estates"),
    "Media": ("Media", "Studios", "Publishing", "Press"),
    "Professional services": ("Partners", "Consulting", "Advisory", "Group"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport"),
    "Energy": ("Energy", "Solar", "Power", "Renewables"),
}

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Sofia", "Elias", "Amara", "Kenji",
    "Priya", "Arjun", "Chloe", "Jonas", "Lena", "Tomás", "Ines", "Marek", "Hana", "Ivan", "Zara", "Omar",
    "Fatima", "Diego", "Lucia", "Yusuf", "Aisha", "Daniel", "Grace", "Samuel", "Nora", "Felix", "Clara",
    "Hugo", "Maya", "Leon", "Julia", "Ethan", "Rosa", "Karin", "Sven", "Anika", "Rafael", "Mei", "Wei",
    "Sara", "Adam", "Ruth", "Tariq", "Petra", "Nikolai", "Elif", "Jasper", "Freya", "Milan", "Ana",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Novak", "Kowalski", "Rossi", "Dubois", "Tanaka", "Kim", "Patel", "Singh",
    "Okafor", "Mensah", "Johansson", "Nielsen", "Horvat", "Ivanova", "Silva", "Costa", "Martin", "Brown",
    "Wilson", "Nguyen", "Chen", "Lopez", "Haddad", "Yilmaz", "Kovač", "Fischer", "Weber", "Moreau",
    "Bakker", "de Vries", "Jansen", "O'Brien", "Murphy", "Walsh", "Larsen", "Berg", "Eriksen", "Ahmed",
    "Hassan", "Cohen", "Levi", "Rahman", "Sato", "Suzuki", "Park", "Lee", "Clark", "Lewis", "Young",
)  # fmt: skip

TITLES = {
    "champion": ("Marketing Operations Manager", "Head of Demand Generation", "Marketing Manager"),
    "executive_sponsor": ("VP Marketing", "Chief Marketing Officer", "Chief Revenue Officer"),
    "decision_maker": ("Director of Marketing", "Head of Growth", "Director of Digital"),
    "admin": ("Marketing Ops Specialist", "CRM Administrator", "Marketing Technologist"),
    "user": (
        "Content Marketer", "Email Marketing Specialist", "SEO Specialist", "Social Media Manager",
        "Campaign Manager", "Marketing Coordinator",
    ),
}  # fmt: skip

# Feature uses: (feature, the track event that uses it). Milestone evidence and logins are apart.
FEATURES = (
    ("Email Editor", "Email Edited"),
    ("Landing Pages", "Landing Page Published"),
    ("Forms", "Form Created"),
    ("Lists", "List Segmented"),
    ("Contacts", "Contacts Imported"),
    ("Reports", "Report Viewed"),
    ("Social Scheduler", "Social Post Scheduled"),
    ("SEO", "SEO Audit Run"),
    ("A/B Testing", "A/B Test Started"),
    ("Chatbots", "Chatbot Configured"),
    ("Ads", "Ad Campaign Synced"),
    ("Marketing Calendar", "Marketing Calendar Viewed"),
)

# Seed 002's critical path: milestone evidence and the week it is due after the start.
MILESTONES = (
    ("Blog Migrated", 1),
    ("CRM Integrated", 1),
    ("Tracking Code Installed", 1),
    ("Lead Created", 4),
    ("Workflow Activated", 4),
    ("Blog Post Published", 4),
    ("Attribution Report Built", 8),
    ("Email Campaign Sent", 10),
    ("Lead Nurture Activated", 10),
    ("Social Monitoring Enabled", 10),
)
# Milestone events that keep happening once a customer works with the product.
RECURRING_KEY_EVENTS = ("Lead Created", "Email Campaign Sent", "Blog Post Published")

TEAM = (
    # (first, last, role, csm kind)
    ("Avery", "Lindqvist", "admin", ""),
    ("Morgan", "Achebe", "manager", ""),
    ("Sasha", "Petrova", "csm", "strategic"),
    ("Rohan", "Mehta", "csm", "strategic"),
    ("Elena", "Marić", "csm", "strategic"),
    ("Carmen", "Ortiz", "csm", "enterprise"),
    ("Tobias", "Vogel", "csm", "enterprise"),
    ("Aiko", "Yamamoto", "csm", "enterprise"),
    ("Kwame", "Asante", "csm", "enterprise"),
    ("Dana", "Whitfield", "csm", "smb"),
    ("Luca", "Bianchi", "csm", "smb"),
    ("Noor", "Khalil", "csm", "smb"),
    ("Jonah", "Reyes", "csm", "operational"),
    ("Ingrid", "Solberg", "csm", "operational"),
    ("Victor", "Ambrose", "viewer", ""),
)


def company(rng: random.Random) -> tuple[str, str]:
    """A company name and its industry."""
    industry = rng.choice(sorted(_KINDS))
    invented = rng.random() < 0.25
    stem = rng.choice(_INVENTED) if invented else rng.choice(_FIRST_PARTS) + rng.choice(_SECOND_PARTS)
    return f"{stem} {rng.choice(_KINDS[industry])}", industry


def domain_of(name: str) -> str:
    slug = "".join(ch for ch in name.lower().replace(" ", "-") if ch.isalnum() or ch == "-")
    return f"{slug}.example"


def email_local(first: str, last: str) -> str:
    """first.last in plain ASCII: accents dropped (Müller → muller), spaces and apostrophes too."""
    text = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
    return "".join(ch for ch in text if (ch.isascii() and ch.isalnum()) or ch == ".")
