"""A network with stored HNA results for the network tests: one synthetic system extract,
run once per test process, its practices' tables stored as each practice's finished run."""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import cache
from pathlib import Path

from gpequity.web.network import services
from gpequity.web.network.demo import FOCUS, practice_tables, store_practice_run, system_extract
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

AS_OF = dt.date(2026, 10, 1)
# Hill shares; Dale shares; Tiny is small (mostly suppressed) and shares; Oak does not share;
# Moor is in the other PCN and shares with the ICB only.
CODES = ["H10001", "H10002", "H10003", "H10004", "H10005"]
NAMES = ["Hill Surgery", "Dale Surgery", "Tiny Surgery", "Oak Surgery", "Moor Surgery"]


@cache
def tables() -> dict[str, list[dict]]:
    with tempfile.TemporaryDirectory(prefix="gpequity-test-network-") as tmp:
        _, now = system_extract(Path(tmp), AS_OF, CODES, patients=2_500)
        rows, definitions = practice_tables(now, AS_OF)
    return rows, definitions


def network_world() -> dict:
    rows, definitions = tables()
    icb = ICBFactory(name="Vale ICB")
    pcn = PCNFactory(parent=icb, name="North PCN")
    south = PCNFactory(parent=icb, name="South PCN")
    w = {"icb": icb, "pcn": pcn, "south": south, "leads": {}}
    for code, name in zip(CODES, NAMES, strict=True):
        practice = PracticeFactory(
            parent=south if name == "Moor Surgery" else pcn, name=name, ods_code=code
        )
        lead = member(practice, "equity_lead")
        store_practice_run(
            practice=practice,
            lead=lead,
            as_of=AS_OF,
            rows=rows[code],
            definitions=definitions,
            focus=FOCUS,
        )
        sharing = {
            "Hill Surgery": {"hna_to_pcn": True, "hna_to_icb": True},
            "Dale Surgery": {"hna_to_pcn": True, "hna_to_icb": True},
            "Tiny Surgery": {"hna_to_pcn": True, "hna_to_icb": True},
            "Oak Surgery": {"progress_to_pcn": False, "progress_to_icb": False},
            "Moor Surgery": {"hna_to_icb": True},
        }[name]
        services.sharing_update(actor=lead, organisation=practice, settings=sharing)
        w[name] = practice
        w["leads"][name] = lead
    w["network_lead"] = member(pcn, "network_lead")
    w["analyst"] = member(icb, "analyst")
    w["rows"] = rows
    return w
