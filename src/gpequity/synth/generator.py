"""Vectorised generator of a synthetic practice extract (DATA.md format).

Everything is drawn with one seeded ``numpy.random.Generator`` in a fixed order, so a seed
gives the same files byte for byte. Values are built as whole columns (no per-patient Python
loop) so 2 million patients and 6 million appointments take seconds.

The population is plausible rather than real: an English age pyramid, a practice catchment
tilted towards deprived areas (real LSOA codes of the matching IMD 2019 decile), a mixed
ethnic profile, long-term conditions that become commoner with age and deprivation. On top
of that a few inequalities are planted on purpose (see ``PLANTED`` and synth/README.md) so
that the health needs assessment has known gradients to find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gpequity.hna import columns as C
from gpequity.hna.imd import lsoa_deciles

Progress = Callable[[str, float], None]

# ---------------------------------------------------------------- planted inequalities


@dataclass(frozen=True)
class Planted:
    """One inequality put into the data on purpose, with the parameters used."""

    id: str
    indicator: str
    description: str
    parameters: dict[str, float] = field(default_factory=dict)


PLANTED: tuple[Planted, ...] = (
    Planted(
        "cervical_screening_deprivation",
        "cervical_screening",
        "Cervical screening coverage rises with IMD decile: about 62% in decile 1 to 82% in "
        "decile 10 (20 points).",
        {"decile_1": 0.62, "decile_10": 0.82},
    ),
    Planted(
        "bowel_screening_deprivation",
        "bowel_screening",
        "Bowel screening coverage rises with IMD decile: about 55% in decile 1 to 75% in "
        "decile 10 (20 points).",
        {"decile_1": 0.55, "decile_10": 0.75},
    ),
    Planted(
        "breast_screening_deprivation",
        "breast_screening",
        "Breast screening coverage rises gently with IMD decile: about 62% to 74%.",
        {"decile_1": 0.62, "decile_10": 0.74},
    ),
    Planted(
        "ethnicity_recording_core20",
        "ethnicity_recorded",
        "Ethnicity is left blank for about 20% of patients in IMD quintile 1 (deciles 1-2) "
        "against about 6% elsewhere; a further 3% everywhere are coded Z (not stated).",
        {"blank_q1": 0.20, "blank_other": 0.06, "not_stated": 0.03},
    ),
    Planted(
        "dna_deprivation_homeless",
        "dna_rate",
        "Did-not-attend: about 5% of appointments in IMD quintiles 2-5, 9% in quintile 1 and "
        "20% for patients recorded as homeless.",
        {"base": 0.05, "q1": 0.09, "homeless": 0.20},
    ),
    Planted(
        "continuity_deprivation",
        "continuity_upc",
        "Continuity of GP care falls with deprivation: the chance that a GP appointment is "
        "with the patient's usual GP goes from 60% in decile 10 to 35% in decile 1.",
        {"decile_1": 0.35, "decile_10": 0.60},
    ),
    Planted(
        "online_booking_age",
        "online_booking_never",
        "Online booking: about 25% of appointments for patients under 75 are booked online, "
        "5% for patients aged 75 and over.",
        {"under_75": 0.25, "age_75_plus": 0.05},
    ),
    Planted(
        "smoking_deprivation",
        "smoker (current)",
        "Current smoking is commoner in IMD quintile 1 (about 22% of adults) than elsewhere "
        "(about 12%).",
        {"q1": 0.22, "other": 0.12},
    ),
)


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote."""

    n_patients: int
    n_appointments: int
    seed: int
    as_of: date
    patients_path: Path
    appointments_path: Path | None
    planted: tuple[Planted, ...] = PLANTED


# ---------------------------------------------------------------- population parameters

# Share of the registered list by 5-year age band 0-4 .. 100-104 (roughly England's GP lists).
_AGE_BAND_WEIGHTS = np.array(
    [5.6, 6.0, 6.0, 5.6, 6.0, 6.8, 7.0, 6.8, 6.4, 6.6, 7.0, 6.8, 5.9, 5.1, 5.0, 3.6, 2.6, 1.6]
    + [0.7, 0.2, 0.03]
)
# A catchment tilted towards deprivation (decile 1 first).
_DECILE_WEIGHTS = np.array([14, 13, 12, 11, 10, 9, 9, 8, 7, 7], dtype=float)
_ETHNICITY_WEIGHTS = {
    "A": 70.0, "B": 1.0, "C": 5.0, "D": 0.8, "E": 0.5, "F": 0.9, "G": 0.8, "H": 4.0,
    "J": 3.0, "K": 2.0, "L": 2.0, "M": 2.0, "N": 2.0, "P": 1.0, "R": 0.5, "S": 1.5,
}  # fmt: skip
_OTHER_LANGUAGES = (
    *("Polish", "Urdu", "Bengali", "Punjabi", "Romanian", "Arabic", "Somali", "Portuguese"),
    *("Spanish", "Turkish", "Gujarati", "Tamil"),
)
_SEX_WEIGHTS = np.array([0.505, 0.490, 0.002, 0.003])
_LSOAS_PER_DECILE = 40

# Clinicians: ids C001.. with roles (12 GPs, 6 nurses, 2 pharmacists, 2 other).
_CLINICIAN_ROLES = ("gp",) * 12 + ("nurse",) * 6 + ("pharmacist",) * 2 + ("other",) * 2


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _months_ago(rng: np.random.Generator, low, high, n: int) -> np.ndarray:
    """Day offsets before as_of, uniform between ``low`` and ``high`` months (30.44 days).

    ``low``/``high`` may be arrays (per-patient windows).
    """
    days = rng.uniform(low * 30.44, high * 30.44, n)
    return np.maximum(days.astype(np.int64), 0)


def _dates(as_of: date, offsets: np.ndarray, present: np.ndarray) -> pa.Array:
    """date32 array of ``as_of - offsets`` days, null where not ``present``."""
    base = (as_of - date(1970, 1, 1)).days
    values = (base - offsets).astype(np.int32)
    return pa.array(values, type=pa.int32(), mask=~present).cast(pa.date32())


def _linear_by_decile(decile: np.ndarray, at_1: float, at_10: float) -> np.ndarray:
    return at_1 + (decile - 1) * (at_10 - at_1) / 9.0


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


# ---------------------------------------------------------------- patients


def _patients(n: int, rng: np.random.Generator, as_of: date) -> tuple[pa.Table, dict]:
    """Build the patients table plus the latent per-patient values the appointments need."""
    band = rng.choice(len(_AGE_BAND_WEIGHTS), n, p=_AGE_BAND_WEIGHTS / _AGE_BAND_WEIGHTS.sum())
    age = np.minimum(band * 5 + rng.integers(0, 5, n), 120).astype(np.int16)
    sex = rng.choice(4, n, p=_SEX_WEIGHTS)  # indices into C.SEX
    female = sex == C.SEX.index("female")
    adult = age >= 18

    decile = rng.choice(10, n, p=_DECILE_WEIGHTS / _DECILE_WEIGHTS.sum()) + 1
    q1 = decile <= 2

    # LSOA codes: a catchment of real LSOAs of each decile; deciles sometimes left blank.
    imd = lsoa_deciles()
    codes = np.asarray(imd["lsoa11cd"].to_numpy(zero_copy_only=False))
    imd_dec = imd["imd_decile"].to_numpy()
    pool = np.stack(  # (10 deciles, LSOAs per decile)
        [rng.choice(codes[imd_dec == d], _LSOAS_PER_DECILE, replace=False) for d in range(1, 11)]
    )
    lsoa = (decile - 1) * _LSOAS_PER_DECILE + rng.integers(0, _LSOAS_PER_DECILE, n)  # pool index
    u = rng.random(n)
    lsoa_blank = u < 0.03  # neither lsoa nor decile recorded
    decile_blank = (u >= 0.03) & (u < 0.18)  # decile blank, lsoa given (filled on reading)

    # Ethnicity (planted: less often recorded in Q1).
    eth_codes = list(_ETHNICITY_WEIGHTS) + ["Z"]
    eth_w = np.array(list(_ETHNICITY_WEIGHTS.values()))
    ethnicity = rng.choice(len(eth_w), n, p=eth_w / eth_w.sum())  # indices into eth_codes
    u = rng.random(n)
    eth_blank = u < np.where(q1, 0.20, 0.06)
    ethnicity[(u >= np.where(q1, 0.20, 0.06)) & (u < np.where(q1, 0.23, 0.09))] = len(eth_w)
    white = ethnicity <= 2  # A, B, C

    # Language: English for most; more often another language outside White groups.
    other_lang = rng.random(n) < np.where(white, 0.04, 0.30)
    languages = ["English", *_OTHER_LANGUAGES]
    language = np.where(other_lang, rng.integers(1, len(languages), n), 0)
    language_blank = rng.random(n) < 0.05
    interpreter = other_lang & (rng.random(n) < 0.35) & ~language_blank

    # Social flags.
    depr = (10 - decile) / 9.0  # 1 = most deprived
    flags = {
        "interpreter_needed": interpreter,
        "learning_disability": rng.random(n) < 0.005,
        "severe_mental_illness": adult & (rng.random(n) < 0.008 + 0.008 * depr),
        "carer": adult & (rng.random(n) < 0.06),
        "homeless": adult & (rng.random(n) < 0.001 + 0.006 * depr),
        "drug_alcohol_dependence": adult & (rng.random(n) < 0.006 + 0.012 * depr),
        "asylum_seeker_or_refugee": rng.random(n) < 0.002 + 0.006 * depr * ~white,
        "gypsy_roma_traveller": rng.random(n) < 0.002,
        "veteran": adult & (rng.random(n) < 0.025) & (age >= 25),
        "trans_or_non_binary": (age >= 12) & (rng.random(n) < 0.005),
        "sex_worker": adult & (age < 60) & (rng.random(n) < 0.0008),
        "justice_contact": adult & (rng.random(n) < 0.002 + 0.008 * depr),
        "reasonable_adjustment_flag": rng.random(n) < 0.03,
        "non_digital_preference": rng.random(n) < _sigmoid((age - 78) / 6.0) * 0.6 + 0.02,
    }

    # Long-term conditions: logistic in age, a little commoner with deprivation.
    a = age.astype(float)
    ltc_p = {
        "hypertension": _sigmoid((a - 62) / 9) * 0.55,
        "diabetes": _sigmoid((a - 58) / 10) * (0.14 + 0.06 * depr),
        "copd": _sigmoid((a - 65) / 8) * (0.06 + 0.06 * depr),
        "asthma": np.full(n, 0.065),
        "chd": _sigmoid((a - 70) / 8) * 0.12,
        "heart_failure": _sigmoid((a - 78) / 7) * 0.08,
        "ckd": _sigmoid((a - 72) / 8) * 0.14,
        "cancer": _sigmoid((a - 68) / 9) * 0.09,
        "dementia": _sigmoid((a - 85) / 5) * 0.15,
        "depression": adult * (0.10 + 0.06 * depr),
    }
    ltcs = {k: rng.random(n) < p for k, p in ltc_p.items()}

    # Smoking (planted: commoner in Q1); children mostly left blank.
    u = rng.random(n)
    current = np.where(q1, 0.22, 0.12)
    smoker = np.select(  # indices into C.SMOKER (current, ex, never, unknown)
        [u < current, u < current + 0.25, u < current + 0.85], [0, 1, 2], 3
    )
    child = age < 15
    smoker[child] = np.where(rng.random(int(child.sum())) < 0.3, 2, -1)  # -1: left blank

    # Dates.
    dates = _patient_dates(n, rng, as_of, age, female, decile, flags, ltcs)

    columns: dict[str, pa.Array] = {
        "patient_id": _ids("P", n, max(7, len(str(n)))),
        "age": pa.array(age, pa.int16()),
        "sex": _coded(sex, C.SEX),
        "ethnicity": _coded(ethnicity, eth_codes, mask=eth_blank),
        "imd_decile": pa.array(decile.astype(np.int8), pa.int8(), mask=lsoa_blank | decile_blank),
        "lsoa": _coded(lsoa, pool.ravel().tolist(), mask=lsoa_blank),
        "language": _coded(language, languages, mask=language_blank),
        **{k: pa.array(flags[k]) for k in C.PATIENT_FLAGS},
        **{k: pa.array(ltcs[k]) for k in C.LONG_TERM_CONDITIONS},
        "smoker": _coded(smoker, C.SMOKER, mask=smoker < 0),
        **dates,
    }
    latent = {"age": age, "decile": decile, "homeless": flags["homeless"], "ltcs": ltcs}
    return pa.table(columns), latent


def _patient_dates(n, rng, as_of, age, female, decile, flags, ltcs) -> dict[str, pa.Array]:
    """Screening, check and vaccine dates: inside the DATA.md window when 'covered'."""

    def covered_or_old(eligible, p_cover, window_months, *, old_share=0.5):
        covered = eligible & (rng.random(n) < p_cover)
        within = _months_ago(rng, 0, window_months - 0.5, n)
        old = _months_ago(rng, window_months + 1, window_months + 60, n)
        has_old = eligible & ~covered & (rng.random(n) < old_share)
        return _dates(as_of, np.where(covered, within, old), covered | has_old)

    cervical_eligible = female & (age >= 25) & (age <= 64)
    cervical_window = np.where(age < 50, 42, 66)
    cervical = covered_or_old(
        cervical_eligible, _linear_by_decile(decile, 0.62, 0.82), cervical_window
    )
    breast = covered_or_old(
        female & (age >= 50) & (age <= 71), _linear_by_decile(decile, 0.62, 0.74), 36
    )
    bowel = covered_or_old((age >= 56) & (age <= 75), _linear_by_decile(decile, 0.55, 0.75), 30)
    n_ltc = sum(v.astype(int) for v in ltcs.values())
    bp = covered_or_old(age >= 40, np.minimum(0.80 + 0.04 * n_ltc, 0.97), 60, old_share=0.7)
    smi = covered_or_old(flags["severe_mental_illness"], 0.5, 12)
    ld = covered_or_old(flags["learning_disability"] & (age >= 14), 0.6, 12)

    # Flu: covered means on or after 1 September of the current season.
    season = date(as_of.year if as_of >= date(as_of.year, 9, 1) else as_of.year - 1, 9, 1)
    season_days = (as_of - season).days
    flu_eligible = (age >= 65) | ((age >= 18) & (n_ltc > 0) & (rng.random(n) < 0.5))
    flu_cover = flu_eligible & (rng.random(n) < 0.80)
    in_season = rng.integers(0, season_days + 1, n)
    last_season = season_days + rng.integers(1, 365, n)
    flu_prev = flu_eligible & ~flu_cover & (rng.random(n) < 0.6)
    flu = _dates(as_of, np.where(flu_cover, in_season, last_season), flu_cover | flu_prev)

    return {
        "last_bp_date": bp,
        "last_cervical_screen_date": cervical,
        "last_breast_screen_date": breast,
        "last_bowel_screen_date": bowel,
        "last_flu_vaccine_date": flu,
        "smi_health_check_date": smi,
        "ld_health_check_date": ld,
    }


# ---------------------------------------------------------------- appointments


def _appointments(
    patient_ids: pa.Array, latent: dict, rng: np.random.Generator, as_of: date, per_patient: float
) -> pa.Table:
    """Appointments in the 12 months before as_of, with the planted DNA/continuity/booking gaps."""
    n = len(patient_ids)
    age = latent["age"]
    decile = latent["decile"]
    n_ltc = sum(v.astype(int) for v in latent["ltcs"].values())
    need = (0.6 + 0.012 * age + 0.5 * n_ltc) * (1.0 + 0.02 * (10 - decile))
    rate = need * (per_patient / need.mean()) if n else need
    counts = rng.poisson(rate)
    idx = np.repeat(np.arange(n), counts)
    m = len(idx)

    days_before = rng.integers(0, 365, m)
    order = np.lexsort((-days_before, idx))  # by patient, then date ascending
    idx, days_before = idx[order], days_before[order]

    a_age, a_dec, a_homeless = age[idx], decile[idx], latent["homeless"][idx]
    p_dna = np.where(a_homeless, 0.20, np.where(a_dec <= 2, 0.09, 0.05))
    u = rng.random(m)
    # Indices into C.APPOINTMENT_STATUS: attended, dna, cancelled.
    status = np.where(u < p_dna, 1, np.where(u < p_dna + 0.04, 2, 0))

    roles = np.array([C.CLINICIAN_ROLE.index(r) for r in _CLINICIAN_ROLES])
    gp_ids = np.flatnonzero(roles == 0)
    role_pick = rng.choice(4, m, p=[0.60, 0.25, 0.08, 0.07])
    clinician = np.empty(m, dtype=np.int64)
    for r in range(4):
        ids = np.flatnonzero(roles == r)
        sel = role_pick == r
        clinician[sel] = ids[rng.integers(0, len(ids), int(sel.sum()))]
    usual_gp = gp_ids[rng.integers(0, len(gp_ids), n)][idx]
    sees_usual = (role_pick == 0) & (rng.random(m) < _linear_by_decile(a_dec, 0.35, 0.60))
    clinician = np.where(sees_usual, usual_gp, clinician)
    clinician_ids = [f"C{i + 1:03d}" for i in range(len(roles))]
    no_clinician = rng.random(m) < 0.02

    # Indices into C.MODE and C.BOOKED_VIA.
    mode = rng.choice(len(C.MODE), m, p=[0.66, 0.27, 0.02, 0.03, 0.02])
    mode = np.where((a_age >= 80) & (rng.random(m) < 0.10), C.MODE.index("home_visit"), mode)
    online = rng.random(m) < np.where(a_age >= 75, 0.05, 0.25)
    not_online = np.array([0, 2, 3, 4])[rng.choice(4, m, p=[0.66, 0.20, 0.11, 0.03])]
    booked = np.where(online, C.BOOKED_VIA.index("online"), not_online)

    base = (as_of - date(1970, 1, 1)).days
    appt_dates = pa.array((base - days_before).astype(np.int32)).cast(pa.date32())
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(idx)),
            "date": appt_dates,
            "status": _coded(status, C.APPOINTMENT_STATUS),
            "clinician_id": _coded(clinician, clinician_ids, mask=no_clinician),
            "clinician_role": _coded(roles[clinician], C.CLINICIAN_ROLE),
            "mode": _coded(mode, C.MODE),
            "booked_via": _coded(booked, C.BOOKED_VIA),
        }
    )


def practice_codes(n: int, practices: int, seed: int) -> pa.Array:
    """A practice code for each of ``n`` patients: ``practices`` practices of uneven sizes
    (each at least one patient), drawn from their own random stream so that the rest of the
    extract is the same with or without them."""
    rng = np.random.default_rng([seed, 19])
    weights = rng.lognormal(0.0, 0.5, practices)
    which = rng.choice(practices, size=n, p=weights / weights.sum())
    which[rng.permutation(n)[:practices]] = np.arange(practices)  # nobody's practice is empty
    codes = [f"Y{90001 + k}" for k in range(practices)]
    return pa.array(np.asarray(codes, dtype=object)[which].tolist(), pa.string())


def _coded(indices: np.ndarray, labels, mask: np.ndarray | None = None) -> pa.Array:
    """Strings from integer codes via a dictionary array: far faster than numpy string ops."""
    arr = pa.array(indices.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(arr, pa.array(list(labels))).cast(pa.string())


# ---------------------------------------------------------------- writing


def _write(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        pacsv.write_csv(
            table, path, pacsv.WriteOptions(quoting_style="none", quoting_header="none")
        )


def generate(
    n_patients: int,
    *,
    seed: int,
    as_of: date,
    out: Path,
    appointments_per_patient: float = 3.0,
    format: Literal["csv", "parquet"] = "csv",  # noqa: A002 - public keyword named by the brief
    progress: Progress | None = None,
    practices: int = 0,
) -> SynthSummary:
    """Write ``patients.<format>`` and ``appointments.<format>`` into ``out``.

    ``appointments_per_patient`` is the mean number of appointments in the 12 months before
    ``as_of`` (0 writes no appointments file). ``practices`` (1 or more) makes a system extract
    (DATA.md "System extracts"): a ``practice_code`` column, every patient in one of that
    many practices of different sizes, coded ``Y90001``, ``Y90002``...; everything else is as
    without it. The same arguments always give the same files.
    """
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    if appointments_per_patient < 0:
        raise ValueError("appointments_per_patient must not be negative")
    if format not in ("csv", "parquet"):
        raise ValueError("format must be 'csv' or 'parquet'")
    if practices < 0 or practices > n_patients:
        raise ValueError("practices must be between 0 and the number of patients")
    report = progress or (lambda stage, fraction: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    report("patients", 0.0)
    patients, latent = _patients(n_patients, rng, as_of)
    if practices:
        patients = patients.append_column(
            "practice_code", practice_codes(n_patients, practices, seed)
        )
    report("patients", 0.3)
    patients_path = out / f"patients.{format}"
    _write(patients, patients_path, format)
    report("patients", 0.5)

    appointments_path = None
    n_appointments = 0
    if appointments_per_patient > 0:
        appts = _appointments(
            patients["patient_id"].combine_chunks(), latent, rng, as_of, appointments_per_patient
        )
        report("appointments", 0.75)
        appointments_path = out / f"appointments.{format}"
        _write(appts, appointments_path, format)
        n_appointments = appts.num_rows
    report("done", 1.0)
    return SynthSummary(
        n_patients=n_patients,
        n_appointments=n_appointments,
        seed=seed,
        as_of=as_of,
        patients_path=patients_path,
        appointments_path=appointments_path,
    )


__all__ = ["PLANTED", "Planted", "SynthSummary", "generate"]
