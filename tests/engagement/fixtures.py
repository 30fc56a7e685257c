"""Hand-counted fixtures for the engagement figures, shared by the core tests and the web
tests that push the same rows through the database (SQLite and PostgreSQL).

The counts in the comments were made by hand; the tests assert them, never values computed
by the code under test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from gpequity.engagement import ActivityFact, InsightFact, ReachFact

ON = dt.date(2026, 12, 1)

# id, start, level, band, hours, community_led, evaluated, reviewed
ACTIVITIES = [
    ActivityFact(1, dt.date(2026, 4, 10), "inform", "to", D("2"), False, False, False),
    ActivityFact(2, dt.date(2026, 5, 20), "consult", "for", D("3"), False, False, False),
    ActivityFact(3, dt.date(2026, 6, 30), "co_produce", "with", D("6"), True, True, False),
    ActivityFact(4, dt.date(2026, 7, 1), "involve", "for", D("4"), False, False, True),
    ActivityFact(5, dt.date(2026, 9, 15), "collaborate", "with", D("5"), True, True, True),
    # inform would be "to"; overridden to "with" (people chose what they were told, say)
    ActivityFact(6, dt.date(2026, 11, 3), "inform", "with", D("1"), False, False, False),
]
# 2026/27 Q1 (Apr-Jun): 1 to (2 h), 1 for (3 h), 1 with (6 h) -> 3 activities, 11 hours
# 2026/27 Q2 (Jul-Sep): 0 to, 1 for (4 h), 1 with (5 h)       -> 2 activities, 9 hours
# 2026/27 Q3 (Oct-Dec): 0 to, 0 for, 1 with (1 h)             -> 1 activity, 1 hour
# All: 6 activities, 21 hours; to 1, for 2, with 3 (half "with"); 2 led by the community,
# 2 covered by an evaluation plan, 2 reviewed.

INSIGHTS = [
    # raised, due, response, loop closed
    InsightFact(1, dt.date(2026, 5, 1), dt.date(2026, 6, 1), "will_act", dt.date(2026, 6, 10)),
    InsightFact(2, dt.date(2026, 5, 1), dt.date(2026, 6, 1), "partly", dt.date(2026, 7, 15)),
    InsightFact(3, dt.date(2026, 9, 1), dt.date(2026, 10, 1), "cannot_act", None),
    InsightFact(4, dt.date(2026, 10, 6), dt.date(2026, 11, 1), "", None),
    InsightFact(5, dt.date(2026, 10, 7), dt.date(2026, 11, 7), "will_act", dt.date(2026, 10, 20)),
    InsightFact(6, dt.date(2026, 11, 20), dt.date(2026, 12, 15), "", None),
    InsightFact(7, dt.date(2026, 6, 1), None, "", dt.date(2026, 6, 20)),
]
# 8 weeks = 56 days before 1 Dec 2026 is 6 Oct 2026: insights 1, 2, 3, 4 and 7 are judged (5).
# Closed in time (response and loop closed within 56 days): only 1 (40 days). 2 took 75 days,
# 3 and 4 are not closed, 7 has no response. Rate 1 of 5 = 20%. Too recent: 5 and 6 (2).
# Loop closed at any time: 1, 2, 5, 7 (4). Overdue (no response, due date passed): only 4.

REACH = [
    ReachFact(1, "focus_group", "in", 10, 20),
    ReachFact(1, "core20", "Q1", 15, None),
    ReachFact(1, "language", "Polish", 4, None),
    ReachFact(2, "focus_group", "in", 5, None),
    ReachFact(2, "core20", "Q1", 6, 10),
    ReachFact(3, "inclusion_health", "homeless", 8, 6),
    ReachFact(5, "focus_group", "in", 12, 10),
]
# Focus group: 10 + 5 + 12 = 27 reached in 3 activities; targets 20 + 10 = 30 set by
# activities 1 and 5, which reached 10 + 12 = 22 -> 22 / 30 = 73.3% of target.
# Core20: 15 + 6 = 21 in 2 activities; target 10 (activity 2, which reached 6) -> 60%.
# Homeless: 8 against 6 -> 133.3%. Polish: 4, no target.

FOCUS_CRITERIA = {
    "any": [
        {"imd_decile": {"le": 2}},
        {"homeless": True},
        {"asylum_seeker_or_refugee": True},
        {"age": {"ge": 80}},
    ]
}
# Parts: deprivation -> Core20 21 people in 2 activities; homeless 8 in 1; asylum seekers and
# refugees 0 in 0; age has no reach group and is left out.
