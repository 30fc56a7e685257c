"""Demo content of the network area: the demo PCN's five practices with different stories,
and a second PCN so the demo ICB has two.

- Riverside Health Centre (the demo practice) shares its HNA results with its PCN and ICB.
- Hillview Surgery shares them; its ethnicity recording was poor six months ago and has
  improved since.
- Meadow Lane Surgery shares them with its PCN only, and keeps its engagement from the ICB.
- Canal Street Surgery is small: most of its counts are suppressed outside the practice.
- Oakfield Family Practice has run assessments but does not share its results.
- Northgate PCN: Brook House Surgery and Elm Tree Practice, sharing with the ICB.

The practices' results come from ONE synthetic system extract (DATA.md "System extracts")
run twice (six months ago and now), stored per practice as finished runs: two engine runs
for the whole network keep the demo quick.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

PATIENTS = 5_000
SEED = 1919
SMALL = 90  # Canal Street's list size: small enough for most counts to be suppressed
FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}

# ods code, name, PCN, sharing settings changed from the defaults, assessment done (share)
PRACTICES = [
    ("Y99002", "Hillview Surgery", "U99001", {"hna_to_pcn": True, "hna_to_icb": True}, 0.35),
    (
        "Y99003",
        "Meadow Lane Surgery",
        "U99001",
        {"hna_to_pcn": True, "engagement_to_icb": False},
        0.6,
    ),
    ("Y99004", "Canal Street Surgery", "U99001", {"hna_to_pcn": True, "hna_to_icb": True}, 0.15),
    ("Y99005", "Oakfield Family Practice", "U99001", {}, 0.25),
    ("Y99011", "Brook House Surgery", "U99002", {"hna_to_icb": True}, 0.45),
    ("Y99012", "Elm Tree Practice", "U99002", {"hna_to_pcn": True, "hna_to_icb": True}, 0.1),
]
HILLVIEW_BLANK_BEFORE = 0.45  # share of Hillview's patients with ethnicity blank before

PLAN = [
    ("miss_01", -20, "in_progress"),
    ("acc_03", -3, "not_started"),
    ("care_02", 9, "in_progress"),
    ("dig_01", 40, "not_started"),
]
ENGAGEMENT = [
    ("Health walk", "inform"),
    ("Carers' coffee morning", "consult"),
    ("Menu co-design", "co_produce"),
]


def _months_ago(today: dt.date, months: int) -> dt.date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return today.replace(year=year, month=month, day=min(today.day, 28))


def system_extract(
    out: Path, as_of: dt.date, codes: list[str], *, patients: int = PATIENTS
) -> list[Path]:
    """A synthetic system extract for ``codes`` (the third is made small), written twice:
    now, and before Hillview (the first code) improved its ethnicity recording."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from gpequity.synth import generate

    now = out / "now"
    generate(patients, seed=SEED, as_of=as_of, out=now, practices=len(codes))
    opts = pacsv.ConvertOptions(
        column_types={"ethnicity": pa.string(), "practice_code": pa.string()}
    )
    patients = pacsv.read_csv(now / "patients.csv", convert_options=opts)
    synth_codes = patients.column("practice_code").to_pylist()
    mapping = {f"Y{90001 + k}": code for k, code in enumerate(codes)}
    real = [mapping[c] for c in synth_codes]
    small, seen = codes[2], 0
    for i, code in enumerate(real):
        if code == small:
            seen += 1
            if seen > SMALL:
                real[i] = codes[1]
    names = patients.column_names
    patients = patients.set_column(
        names.index("practice_code"), "practice_code", pa.array(real, pa.string())
    )
    pacsv.write_csv(patients, now / "patients.csv")
    before = out / "before"
    before.mkdir()
    (before / "appointments.csv").write_bytes((now / "appointments.csv").read_bytes())
    ethnicity = patients.column("ethnicity").to_pylist()
    hill = [i for i, c in enumerate(real) if c == codes[0]]
    for i in hill[: round(len(hill) * HILLVIEW_BLANK_BEFORE)]:
        ethnicity[i] = None
    earlier = patients.set_column(
        names.index("ethnicity"), "ethnicity", pa.array(ethnicity, pa.string())
    )
    pacsv.write_csv(earlier, before / "patients.csv")
    return [before, now]


def store_practice_run(*, practice, lead, as_of: dt.date, rows, definitions, focus) -> object:
    """One finished HNA run of ``practice`` holding its rows of a system run (exact figures,
    as a practice's own run keeps them)."""
    from django.utils import timezone

    from gpequity.hna.runinfo import definitions_data
    from gpequity.web.hna.models import IndicatorResult, Run

    run = Run.objects.create(
        organisation=practice,
        as_of=as_of,
        status="done",
        progress=1.0,
        message="Finished",
        created_by=lead,
        focus_criteria=focus,
        upload_names="system extract",
        definitions=definitions_data(definitions),
        finished_at=timezone.now(),
    )
    IndicatorResult.objects.bulk_create(
        [
            IndicatorResult(
                run=run,
                position=i,
                indicator=r["indicator"],
                grouping=r["grouping"],
                group=r["group"],
                numerator=r["numerator"],
                denominator=r["denominator"],
                value=r["value"],
                lower=r["lower"],
                upper=r["upper"],
                compared_with_rest=r["compared_with_rest"],
                suppressed=False,
            )
            for i, r in enumerate(rows)
        ],
        batch_size=1000,
    )
    from .figures import store_for_runs

    store_for_runs([run])  # as a run stored by the HNA keeps them
    return run


def practice_tables(extract: Path, as_of: dt.date) -> tuple[dict[str, list[dict]], list]:
    """Run the HNA over a system extract: each practice's ``indicators`` rows, by code."""
    import math

    from gpequity import hna

    result = hna.run(extract, as_of=as_of, focus=FOCUS)
    out: dict[str, list[dict]] = {}
    for row in result.practice_indicator_rows:
        r = {k: v for k, v in row.items() if k != "practice_code"}
        for k in ("value", "lower", "upper"):
            if isinstance(r[k], float) and math.isnan(r[k]):
                r[k] = None
        out.setdefault(row["practice_code"], []).append(r)
    return out, result.definitions


def network_demo(info) -> None:
    """Adding the network's practices, what each shares, and their assessments over time ..."""
    from django.contrib.auth import get_user_model

    from gpequity.web.assessment import services as assessment
    from gpequity.web.engagement import services as engagement
    from gpequity.web.orgs import services as org_services
    from gpequity.web.orgs.models import Organisation, OrgKind, Role
    from gpequity.web.plans import services as plans

    from . import services

    User = get_user_model()
    today = dt.date.today()
    pcn = Organisation.objects.get(ods_code="U99001")
    northgate = org_services.organisation_create(
        kind=OrgKind.PCN,
        ods_code="U99002",
        name="Northgate Primary Care Network",
        parent=pcn.parent,
    )
    pcns = {"U99001": pcn, "U99002": northgate}
    riverside = Organisation.objects.get(ods_code=info.practice_ods)
    services.sharing_update(
        actor=riverside.memberships.get(role=Role.EQUITY_LEAD).user,
        organisation=riverside,
        settings={"hna_to_pcn": True, "hna_to_icb": True},
    )
    password = User.objects.get(username="lead").password
    orgs, leads = {}, {}
    for n, (code, name, pcn_code, sharing, done) in enumerate(PRACTICES):
        practice = Organisation.objects.filter(
            ods_code=code
        ).first() or org_services.organisation_create(
            kind=OrgKind.PRACTICE, ods_code=code, name=name, parent=pcns[pcn_code]
        )
        lead = User.objects.create(
            username=f"lead{code[-2:]}",
            email=f"lead{code[-2:]}@demo.gpequity.invalid",
            first_name="Lead",
            last_name=name.split()[0],
            password=password,
        )
        org_services.membership_set(user=lead, organisation=practice, role=Role.EQUITY_LEAD)
        orgs[code], leads[code] = practice, lead
        if sharing:
            services.sharing_update(actor=lead, organisation=practice, settings=sharing)
        pack_keys = [a.key for a in _pack().actions]
        for key in pack_keys[: round(len(pack_keys) * done)]:
            assessment.assessment_update(
                actor=lead,
                organisation=practice,
                action_key=key,
                status="in_place",
                notes="",
                expected_version=0,
            )
        for k, (key, days, status) in enumerate(PLAN[: 2 + n % 3]):
            item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key=key)
            plans.plan_item_update(
                actor=lead,
                item=item,
                expected_version=item.version,
                changes={"due_date": today + dt.timedelta(days=days + k), "status": status},
            )
        for title, level in ENGAGEMENT[: 1 + n % 3]:
            engagement.activity_create(
                actor=lead,
                organisation=practice,
                data={
                    "title": title,
                    "start_date": today - dt.timedelta(days=30 + 20 * n),
                    "level": level,
                },
            )
    codes = [c for c, *_ in PRACTICES]
    dates = [_months_ago(today, 6), today]
    with tempfile.TemporaryDirectory(prefix="gpequity-demo-network-") as tmp:
        folders = system_extract(Path(tmp), today, codes)
        for folder, as_of in zip(folders, dates, strict=True):
            tables, definitions = practice_tables(folder, as_of)
            for code in codes:
                store_practice_run(
                    practice=orgs[code],
                    lead=leads[code],
                    as_of=as_of,
                    rows=tables[code],
                    definitions=definitions,
                    focus=FOCUS,
                )
    info.users.append(
        ("lead02", "equity lead, Hillview (and lead03, lead04, lead05, lead11, lead12)")
    )


def _pack():
    from gpequity.catalogue import load_pack

    return load_pack()
