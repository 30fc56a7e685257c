"""Our own list of needs (an ORUK taxonomy), used when a feed brings no categories.

Ids are fixed (uuid5 of the name) so every installation gives a term the same id.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("2b0f1f5e-7d0a-4c1e-9c43-6b1d2f8a9e10")
TAXONOMY_NAME = "gpequity needs"
TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, TAXONOMY_NAME))
NEEDS = {
    "Money, benefits and debt": "Help with benefits, debt, budgeting and grants.",
    "Housing and homelessness": "Somewhere to live, housing advice and help for people "
    "without a home.",
    "Food": "Food banks, community meals and help to buy food.",
    "Mental wellbeing": "Talking therapies, peer support and help in a crisis.",
    "Loneliness and social activities": "Groups, clubs and befriending.",
    "Physical activity": "Walking groups, exercise classes and sport.",
    "Carers": "Support for people who look after someone.",
    "Alcohol and drugs": "Advice, treatment and recovery support.",
    "Stopping smoking": "Support to stop smoking or vaping.",
    "Domestic abuse": "Safety, advice and refuges.",
    "Work, training and skills": "Jobs, volunteering, English classes and digital skills.",
    "Families and children": "Parenting, early years and young people's services.",
    "Older people": "Services for people in later life.",
    "Disability and learning disability": "Support, advocacy and accessible activities.",
    "Language and interpreting": "Interpreting, translation and community language groups.",
    "Legal and immigration advice": "Advice on immigration, asylum and rights.",
}


def term_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{TAXONOMY_NAME}/{name}"))
