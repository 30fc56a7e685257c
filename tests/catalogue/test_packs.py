"""The framework packs shipped with gpequity: schema-valid, complete and in our own words.

Other data (assessments, plans, imported official text) refers to actions by key, so these
tests pin the facts users rely on: every published RCGP action is present exactly once, in
its tier and theme, with the toolkit's known quirks recorded rather than smoothed over.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from gpequity.catalogue import vocab
from gpequity.catalogue.packs import load_pack, load_pack_file, pack_paths
from gpequity.catalogue.schema import KEY, Pack

SEEDS = Path(__file__).parents[2].parent / "shared" / "seeds"
RUN = 12  # words; the same threshold as the project's seed-copy check
_WORD = re.compile(r"[a-z0-9]+")

RCGP_TIERS = [
    ("tier-1", "Tier 1", 5),
    ("tier-2", "Tier 2", 40),
    ("achieving", "Achieving", 45),
    ("leading", "Leading", 26),
]
RCGP_TIER_1_CODES = ["ACC_01", "HNA_01", "WELL_01", "ACC_02", "VAL_00"]
RCGP_THEMES = {
    "access-and-flexibility": "Access and Flexibility",
    "addressing-missingness": "Addressing Missingness",
    "addressing-stigma-and-discrimination": "Addressing Stigma and Discrimination",
    "advocacy-and-policy": "Advocacy and Policy",
    "care-for-focus-patients": "Care for Focus Patients",
    "continuity-of-care": "Continuity of Care",
    "digital-inclusion": "Digital Inclusion",
    "health-literacy-and-education": "Health Literacy and Education",
    "health-needs-assessment": "Health Needs Assessment",
    "minoritised-ethnic-communities": "Minoritised Ethnic Communities",
    "multidisciplinary-team-approaches": "Multidisciplinary Team Approaches",
    "networks-of-support": "Networks of Support",
    "research": "Research",
    "structural-competence": "Structural Competence",
    "team-education": "Team Education",
    "team-wellbeing": "Team Wellbeing",
    "trauma-informed-and-enabled-care": "Trauma-Informed and Enabled Care",
    "values-and-behaviours": "Values and Behaviours",
}
IH_THEME_TO_PRINCIPLE = {
    "commit": "commit",
    "understand": "understand",
    "workforce": "workforce",
    "integrated-access": "integrated_access",
    "impact": "impact",
}


@pytest.fixture(scope="module")
def rcgp() -> Pack:
    return load_pack("rcgp-fairer-practice")


@pytest.fixture(scope="module")
def inclusion_health() -> Pack:
    return load_pack("nhse-inclusion-health")


# Every pack ---------------------------------------------------------------------------------


def test_both_packs_ship() -> None:
    assert {p.stem for p in pack_paths()} >= {"rcgp-fairer-practice", "nhse-inclusion-health"}


@pytest.mark.parametrize("path", pack_paths(), ids=lambda p: p.stem)
def test_pack_file_validates_and_is_named_by_its_id(path: Path) -> None:
    pack = load_pack_file(path)
    assert pack.id == path.stem
    assert pack.attribution.strip()


@pytest.mark.parametrize("path", pack_paths(), ids=lambda p: p.stem)
def test_action_keys_are_unique_lowercase_and_summaries_distinct(path: Path) -> None:
    pack = load_pack_file(path)
    keys = [a.key for a in pack.actions]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(KEY, k) and k == k.lower() for k in keys)
    summaries = Counter(a.summary for a in pack.actions)
    assert [s for s, n in summaries.items() if n > 1] == []


@pytest.mark.parametrize("path", pack_paths(), ids=lambda p: p.stem)
def test_every_action_is_tagged_with_a_principle(path: Path) -> None:
    """The web filters and HNA recommendations cross-walk through these tags."""
    pack = load_pack_file(path)
    assert [a.key for a in pack.actions if not a.principles] == []


# RCGP Fairer Practice Toolkit -----------------------------------------------------------------


def test_rcgp_identity(rcgp: Pack) -> None:
    assert rcgp.name == "Fairer Practice Toolkit"
    assert rcgp.publisher == "Royal College of General Practitioners"
    assert rcgp.version == "2025"
    assert "2025 Royal College of General Practitioners" in rcgp.attribution


def test_rcgp_has_116_actions(rcgp: Pack) -> None:
    assert len(rcgp.actions) == 116


def test_rcgp_tiers_in_order_with_published_counts(rcgp: Pack) -> None:
    assert [(t.key, t.name) for t in rcgp.tiers] == [(k, n) for k, n, _ in RCGP_TIERS]
    assert [len(rcgp.actions_in(tier=k)) for k, _, _ in RCGP_TIERS] == [n for _, _, n in RCGP_TIERS]


def test_rcgp_actions_are_grouped_by_tier_in_tier_order(rcgp: Pack) -> None:
    order = [rcgp.tier_index(a.tier) for a in rcgp.actions]
    assert order == sorted(order)


def test_rcgp_tier_1_is_the_published_first_steps(rcgp: Pack) -> None:
    assert [a.code for a in rcgp.actions_in(tier="tier-1")] == RCGP_TIER_1_CODES
    assert rcgp.action("val_00").title == "Identify a Fairer Practice Lead"


def test_rcgp_tier_2_runs_from_acc_03_to_val_02(rcgp: Pack) -> None:
    codes = [a.code for a in rcgp.actions_in(tier="tier-2")]
    assert (codes[0], codes[-1]) == ("ACC_03", "VAL_02")


def test_rcgp_has_18_published_themes_all_used(rcgp: Pack) -> None:
    assert {t.key: t.name for t in rcgp.themes} == RCGP_THEMES
    used = {a.theme for a in rcgp.actions}
    assert used == set(RCGP_THEMES)


def test_rcgp_theme_follows_code_prefix(rcgp: Pack) -> None:
    """A code prefix always belongs to one theme (ACC -> Access and Flexibility, ...)."""
    by_prefix: dict[str, set[str]] = {}
    for a in rcgp.actions:
        if a.code:
            by_prefix.setdefault(a.code.split("_")[0], set()).add(a.theme)
    assert {p: t for p, t in by_prefix.items() if len(t) != 1} == {}
    assert by_prefix["ACC"] == {"access-and-flexibility"}
    assert by_prefix["MISS"] == {"addressing-missingness"}


def test_rcgp_acc_17_quirk_keeps_both_actions(rcgp: Pack) -> None:
    twins = [a for a in rcgp.actions if a.code == "ACC_17"]
    assert [a.key for a in twins] == ["acc_17", "acc_17b"]
    assert twins[0].title != twins[1].title
    assert {a.tier for a in twins} == {"achieving"}


def test_rcgp_exactly_one_uncoded_action(rcgp: Pack) -> None:
    uncoded = [a for a in rcgp.actions if a.code == ""]
    assert [a.key for a in uncoded] == ["min_cultural_safety"]
    (action,) = uncoded
    assert action.tier == "achieving"
    assert action.theme == "minoritised-ethnic-communities"
    codes = [a.code for a in rcgp.actions]
    position = codes.index("")
    assert codes[position - 1 : position + 2] == ["MIN_06", "", "MIN_08"]


def test_rcgp_missing_codes_stay_missing(rcgp: Pack) -> None:
    codes = {a.code for a in rcgp.actions}
    assert codes.isdisjoint({"ACC_18", "MIN_07", "TIC_03"})


def test_rcgp_codes_are_well_formed_and_keys_follow_them(rcgp: Pack) -> None:
    for a in rcgp.actions:
        if a.code:
            assert re.fullmatch(r"[A-Z]+_\d\d", a.code), a.code
            assert a.key in (a.code.lower(), a.code.lower() + "b"), a.key
    codes = Counter(a.code for a in rcgp.actions)
    assert {c: n for c, n in codes.items() if n > 1} == {"ACC_17": 2}


def test_rcgp_min_08_title_is_split_from_its_descriptor(rcgp: Pack) -> None:
    assert rcgp.action("min_08").title == "Implement Inclusive Remote Consultation Practices"


def test_rcgp_titles_are_tidy(rcgp: Pack) -> None:
    assert [a.key for a in rcgp.actions if a.title != " ".join(a.title.split())] == []


def test_rcgp_measurable_actions_point_at_their_indicators(rcgp: Pack) -> None:
    """Spot checks that the HNA can recommend the right actions for a weak indicator."""
    assert "ethnicity_recorded" in rcgp.action("min_01").indicators
    assert "language_recorded" in rcgp.action("acc_08").indicators
    assert {"continuity_upc", "continuity_coc"} <= set(rcgp.action("cont_01").indicators)
    assert {"dna_rate", "missingness_high"} <= set(rcgp.action("miss_01").indicators)
    assert "online_booking_never" in rcgp.action("dig_01").indicators
    assert {"cervical_screening", "breast_screening", "bowel_screening"} <= set(
        rcgp.action("care_16").indicators
    )
    assert "smi_health_check" in rcgp.action("care_04").indicators
    assert "ld_register" in rcgp.action("care_05").indicators
    assert "carer_register" in rcgp.action("care_11").indicators
    assert "smoking_cessation" in rcgp.action("care_09").core20plus5
    assert "hypertension" in rcgp.action("care_02").core20plus5


def test_rcgp_neurodiversity_actions_share_one_group(rcgp: Pack) -> None:
    """A practice looking for what it can do for neurodivergent patients finds all three."""
    tagged = {a.key for a in rcgp.actions if "neurodivergent" in a.groups}
    assert tagged == {"acc_16", "edu_02", "stig_04"}


# NHS England inclusion health framework ---------------------------------------------------------


def test_inclusion_health_themes_are_the_five_principles(inclusion_health: Pack) -> None:
    assert [t.key for t in inclusion_health.themes] == list(IH_THEME_TO_PRINCIPLE)
    assert [t.name for t in inclusion_health.themes] == list(
        vocab.INCLUSION_HEALTH_PRINCIPLES.values()
    )
    assert [(t.key, t.name) for t in inclusion_health.tiers] == [
        ("principles", "Principles for action")
    ]


def test_inclusion_health_actions_carry_their_principle(inclusion_health: Pack) -> None:
    assert inclusion_health.publisher == "NHS England"
    for a in inclusion_health.actions:
        assert IH_THEME_TO_PRINCIPLE[a.theme] in a.principles, a.key
        assert a.key.startswith("ih-")
    assert all(inclusion_health.actions_in(theme=t) for t in IH_THEME_TO_PRINCIPLE)


# Our own words ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _runs(words: list[str]) -> set[str]:
    return {" ".join(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def _prose(pack: Pack) -> dict[str, str]:
    """The text gpequity wrote itself (titles and names are published facts)."""
    out = {"description": pack.description, "attribution": pack.attribution}
    out |= {f"tier {t.key}": t.description for t in pack.tiers}
    out |= {f"theme {t.key}": t.description for t in pack.themes}
    out |= {f"action {a.key}": a.summary for a in pack.actions}
    return out


@pytest.fixture(scope="module")
def seed_runs() -> set[str]:
    if not SEEDS.is_dir():
        pytest.skip(f"source documents not present at {SEEDS}")
    runs: set[str] = set()
    for seed in sorted(SEEDS.glob("*.txt")):
        runs |= _runs(_words(seed.read_text(errors="replace")))
    return runs


@pytest.mark.parametrize("path", pack_paths(), ids=lambda p: p.stem)
def test_pack_prose_does_not_repeat_the_sources(path: Path, seed_runs: set[str]) -> None:
    pack = load_pack_file(path)
    copied = {
        where: sorted(_runs(_words(text)) & seed_runs)
        for where, text in _prose(pack).items()
        if _runs(_words(text)) & seed_runs
    }
    assert copied == {}
