"""The DATA.md extract contract as code: column names, codes and the canonical Arrow types.

``gpequity.hna.extract`` turns the user's files into tables with exactly these types
(booleans as bool with blanks as false, dates as date32 with blanks as null, blank text as
null); the engine and the pure-Python twin both start from them. Unknown columns are kept
after these, as strings.
"""

from __future__ import annotations

import pyarrow as pa

SEX = ("female", "male", "other", "unknown")
ETHNICITY_CODES = tuple("ABCDEFGHJKLMNPRSZ")
ETHNIC_GROUP = {
    **dict.fromkeys("ABC", "White"),
    **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian"),
    **dict.fromkeys("MNP", "Black"),
    **dict.fromkeys("RS", "Other"),
    "Z": "Not stated",
}
NOT_RECORDED = "Not recorded"
SMOKER = ("current", "ex", "never", "unknown")
APPOINTMENT_STATUS = ("attended", "dna", "cancelled")
CLINICIAN_ROLE = ("gp", "nurse", "pharmacist", "other")
MODE = ("face_to_face", "telephone", "video", "online", "home_visit")
BOOKED_VIA = ("phone", "online", "in_person", "clinician", "other")

TRUE_SPELLINGS = frozenset({"true", "yes", "y", "1"})
FALSE_SPELLINGS = frozenset({"false", "no", "n", "0"})

INCLUSION_FLAGS = (
    "homeless",
    "asylum_seeker_or_refugee",
    "gypsy_roma_traveller",
    "drug_alcohol_dependence",
    "sex_worker",
    "justice_contact",
)
PATIENT_FLAGS = (
    "interpreter_needed",
    "learning_disability",
    "severe_mental_illness",
    "carer",
    "homeless",
    "drug_alcohol_dependence",
    "asylum_seeker_or_refugee",
    "gypsy_roma_traveller",
    "veteran",
    "trans_or_non_binary",
    "sex_worker",
    "justice_contact",
    "reasonable_adjustment_flag",
    "non_digital_preference",
)
LONG_TERM_CONDITIONS = (
    "hypertension",
    "diabetes",
    "copd",
    "asthma",
    "chd",
    "heart_failure",
    "ckd",
    "cancer",
    "dementia",
    "depression",
)
PATIENT_DATES = (
    "last_bp_date",
    "last_cervical_screen_date",
    "last_breast_screen_date",
    "last_bowel_screen_date",
    "last_flu_vaccine_date",
    "smi_health_check_date",
    "ld_health_check_date",
)

PATIENTS_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("age", pa.int16(), nullable=False),
        pa.field("sex", pa.string(), nullable=False),
        pa.field("ethnicity", pa.string()),
        pa.field("imd_decile", pa.int8()),
        pa.field("lsoa", pa.string()),
        pa.field("language", pa.string()),
        *[pa.field(c, pa.bool_(), nullable=False) for c in PATIENT_FLAGS],
        *[pa.field(c, pa.bool_(), nullable=False) for c in LONG_TERM_CONDITIONS],
        pa.field("smoker", pa.string(), nullable=False),
        *[pa.field(c, pa.date32()) for c in PATIENT_DATES],
    ]
)
PATIENTS_REQUIRED = ("patient_id", "age", "sex")

APPOINTMENTS_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("clinician_id", pa.string()),
        pa.field("clinician_role", pa.string()),
        pa.field("mode", pa.string()),
        pa.field("booked_via", pa.string()),
    ]
)
APPOINTMENTS_REQUIRED = ("patient_id", "date", "status")

# Groupings (DATA.md "Windows and groups"), in the order results are written.
GROUPINGS = (
    "overall",
    "imd_quintile",
    "imd_decile",
    "ethnic_group",
    "age_band",
    "sex",
    "focus_group",
    *INCLUSION_FLAGS,
    "interpreter_needed",
)
AGE_BANDS = ("0-17", "18-39", "40-64", "65-79", "80+")
IMD_QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5", "unknown")
