from __future__ import annotations

import pytest

from tests.web.feedback.helpers import reset_limits


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    reset_limits()
    yield
    reset_limits()
