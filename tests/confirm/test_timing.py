"""When a professional is reminded that nobody confirmed: 09:00 in the
organisation's zone, after ``bevestigen_binnen_werkdagen`` whole working days."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.flowspec.model import OrgSettings
from bot.service.together.confirm import remind_time, working_days

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("asked", "days", "reminded"),
    [
        (datetime(2026, 11, 25, 10, 0, tzinfo=AMS), 2, datetime(2026, 11, 30, 9, 0, tzinfo=AMS)),
        (datetime(2026, 11, 25, 10, 0, tzinfo=AMS), 1, datetime(2026, 11, 27, 9, 0, tzinfo=AMS)),
        (datetime(2026, 11, 27, 17, 0, tzinfo=AMS), 2, datetime(2026, 12, 2, 9, 0, tzinfo=AMS)),
        (datetime(2026, 11, 28, 11, 0, tzinfo=AMS), 2, datetime(2026, 12, 2, 9, 0, tzinfo=AMS)),
    ],
    ids=["wednesday-2", "wednesday-1", "friday-evening-2", "saturday-2"],
)
def test_the_reminder_comes_the_working_morning_after(
    asked: datetime, days: int, reminded: datetime
) -> None:
    assert remind_time(asked, days, AMS) == reminded


def test_the_setting_is_read_with_its_default() -> None:
    assert OrgSettings().bevestigen_binnen_werkdagen == 2
    assert working_days(OrgSettings().model_dump()) == 2
    assert working_days({"bevestigen_binnen_werkdagen": 5}) == 5
    assert working_days({"bevestigen_binnen_werkdagen": 0}) == 2  # nonsense: the default
    with pytest.raises(ValueError, match="bevestigen_binnen_werkdagen"):
        OrgSettings(bevestigen_binnen_werkdagen=0)
