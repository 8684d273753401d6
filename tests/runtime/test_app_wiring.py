"""The app wires the scheduler: a running channel has its loop beside it.

``App.with_background`` is what ``voorkomen telegram`` and ``voorkomen matrix``
run their channel in; the retention purge and the reminders of agreed steps are scheduled at start.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.app import create_app
from bot.service.followup import REMINDER_JOB
from bot.service.ports import Job
from bot.service.scheduler import RETENTION_JOB
from bot.service.together.confirm import REMINDER_JOB as CONFIRM_JOB
from bot.settings import Settings
from tests.support.chat import FIXTURES


def test_a_running_channel_runs_due_jobs_beside_it(tmp_path: Path) -> None:
    settings = Settings(
        name_check=False,  # the name lists load in tests/identify only
        database_url=f"sqlite:///{tmp_path / 'v.db'}",
        flows_dir=FIXTURES / "flows",
        knowledge_dir=tmp_path / "none",
        main_flow="demo",
    )
    app = create_app(settings)
    try:
        assert sorted(j.name or "" for j in app.store.pending_jobs()) == [
            CONFIRM_JOB,
            REMINDER_JOB,
            RETENTION_JOB,
        ]
        ran = asyncio.Event()
        seen: list[str] = []

        async def remind(job: Job, now: datetime) -> None:
            seen.append(str(job.payload["who"]))
            ran.set()

        app.scheduler.on("remind", remind)
        app.scheduler.add("remind", {"who": "p1"}, app.scheduler.clock())

        async def channel() -> str:  # stands for run_polling / the Matrix sync loop
            await asyncio.wait_for(ran.wait(), 10)
            return "stopped"

        assert asyncio.run(app.with_background(channel())) == "stopped"
        assert seen == ["p1"]
        # The retention purge ran in the same round and is due again in an hour.
        jobs = app.store.pending_jobs()
        assert {j.name for j in jobs} == {RETENTION_JOB, REMINDER_JOB, CONFIRM_JOB}
        assert all(j.due_at > app.scheduler.clock() for j in jobs)
    finally:
        app.close()
