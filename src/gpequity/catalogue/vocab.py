"""Controlled vocabularies used to cross-walk framework actions.

These are facts (names of published frameworks and of the DATA.md indicators), kept in one
place so packs, the importer, the web filters and the HNA recommendations agree.
"""

from __future__ import annotations

# NHS England inclusion-health framework: five principles for action.
INCLUSION_HEALTH_PRINCIPLES: dict[str, str] = {
    "commit": "Commit to action on inclusion health",
    "understand": "Understand the characteristics and needs of people in inclusion health groups",
    "workforce": "Develop the workforce for inclusion health",
    "integrated_access": "Deliver integrated and accessible services for inclusion health",
    "impact": "Demonstrate impact and improvement through action on inclusion health",
}

# Core20PLUS5: the adult five clinical areas, then the children and young people's five.
CORE20PLUS5_AREAS: dict[str, str] = {
    "maternity": "Maternity",
    "severe_mental_illness": "Severe mental illness",
    "chronic_respiratory_disease": "Chronic respiratory disease",
    "early_cancer_diagnosis": "Early cancer diagnosis",
    "hypertension": "Hypertension case-finding and optimal management",
    "smoking_cessation": "Smoking cessation",
    "cyp_asthma": "Children and young people: asthma",
    "cyp_diabetes": "Children and young people: diabetes",
    "cyp_epilepsy": "Children and young people: epilepsy",
    "cyp_oral_health": "Children and young people: oral health",
    "cyp_mental_health": "Children and young people: mental health",
}

# Groups an action can serve. Keys that match DATA.md patient columns use the same name.
GROUPS: dict[str, str] = {
    "focus_patients": "The practice's Focus Patient group",
    "core20": "People in the most deprived 20% of areas (Core20)",
    "minoritised_ethnic": "Minoritised ethnic communities",
    "interpreter_needed": "People who need an interpreter",
    "digitally_excluded": "People who are digitally excluded",
    "low_health_literacy": "People with low health literacy",
    "homeless": "People experiencing homelessness",
    "asylum_seeker_or_refugee": "Asylum seekers and refugees",
    "gypsy_roma_traveller": "Gypsy, Roma and Traveller communities",
    "drug_alcohol_dependence": "People with drug or alcohol dependence",
    "sex_worker": "Sex workers",
    "justice_contact": "People in contact with the justice system",
    "learning_disability": "People with a learning disability",
    "neurodivergent": "Neurodivergent people (autistic people, people with ADHD and others)",
    "severe_mental_illness": "People with severe mental illness",
    "carer": "Carers",
    "veteran": "Veterans",
    "trans_or_non_binary": "Trans and non-binary people",
    "lgbtq": "LGBTQ+ people",
    "multiple_complex_needs": "People with multiple complex needs",
    "staff": "The practice team",
}

# The DATA.md default indicators.
INDICATORS: dict[str, str] = {
    "ethnicity_recorded": "Ethnicity recorded",
    "language_recorded": "Main language recorded",
    "bp_recorded_5y": "Blood pressure recorded in 5 years (age 40+)",
    "cervical_screening": "Cervical screening coverage",
    "breast_screening": "Breast screening coverage",
    "bowel_screening": "Bowel screening coverage",
    "flu_vaccine_65plus": "Flu vaccine this season (age 65+)",
    "smi_health_check": "Severe mental illness health check",
    "ld_health_check": "Learning disability health check",
    "smoking_status_recorded": "Smoking status recorded (age 15+)",
    "ld_register": "On the learning disability register",
    "carer_register": "Recorded as a carer",
    "dna_rate": "Did-not-attend rate",
    "missingness_high": "Missed 3 or more appointments",
    "online_booking_never": "Never booked online (2+ appointments)",
    "face_to_face_share": "Share of attended appointments face to face",
    "complex_needs": "Multiple complex needs",
    "continuity_upc": "Continuity of GP care (UPC)",
    "continuity_coc": "Continuity of GP care (Bice-Boxerman COC)",
}

EFFORT: dict[str, str] = {
    "low": "Low: can start this week with existing resources",
    "medium": "Medium: needs planning and some team time",
    "high": "High: sustained work, partners or funding",
}
