"""Watching the landing zone for a feed's files: a deferrable sensor and the trigger behind it.

The sensor task checks once; when nothing waits it hands the waiting to `LandingFilesTrigger`,
which polls in the triggerer's event loop (one `list` of the feed's prefixes every
`poll_interval` seconds, the blocking call in a thread) and wakes the task with the keys it found.
While it waits the task holds no worker slot and no process, so every feed can watch all day for
the cost of a directory listing or an S3 LIST per interval.

This module is imported by the DAG files and by the triggerer (by class path): only Airflow at
module level; contracts and the landing zone are imported where they are used.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

from config import Env

# Seconds between two looks at the landing zone; the delay a drop waits before loading starts.
# 30 s keeps a drop well inside the 10-minute promise and costs 2 LISTs a minute per feed.
POLL_INTERVAL_S = float(os.environ.get(Env.LANDING_POLL_SECONDS, "30"))
# A waiting run ends (skipped) after this long and the continuous schedule starts the next one:
# new code and configuration reach the watch, and a day's runs stay readable in the UI.
WATCH_AT_MOST = timedelta(hours=6)


def waiting_files(feed: str, landing_url: str | None = None) -> list[str]:
    """Exactly the files ingest_landing(feeds=[feed]) will take: under a watched prefix and
    recognised by the contract (a {partner} folder matches any partner's folder)."""
    from config import load_settings
    from ingest.contracts import contract_for_key, load_contract
    from ingest.landing import open_landing

    zone = open_landing(landing_url or load_settings().landing_url)
    candidates = {key for prefix in load_contract(feed).watch_prefixes for key in zone.waiting(prefix)}
    return sorted(k for k in candidates if (c := contract_for_key(k)) is not None and c.feed == feed)


class LandingFilesTrigger(BaseTrigger):
    """Fires once with {"keys": [...]} when files of `feed` wait, or with {"keys": []} after
    `watch_seconds` (the sensor then ends the run as skipped)."""

    def __init__(self, feed: str, landing_url: str | None, poll_interval: float, watch_seconds: float) -> None:
        super().__init__()
        self.feed = feed
        self.landing_url = landing_url
        self.poll_interval = poll_interval
        self.watch_seconds = watch_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}",
                {"feed": self.feed, "landing_url": self.landing_url, "poll_interval": self.poll_interval,
                 "watch_seconds": self.watch_seconds})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = time.monotonic() + self.watch_seconds
        while True:
            try:
                keys = await asyncio.to_thread(waiting_files, self.feed, self.landing_url)
            except Exception as exc:  # noqa: BLE001 - a store that is briefly away must not end the watch
                self.log.warning("landing zone not readable for %s: %s", self.feed, exc)
                keys = []
            if keys:
                yield TriggerEvent({"keys": keys})
                return
            if time.monotonic() >= deadline:
                yield TriggerEvent({"keys": []})
                return
            await asyncio.sleep(self.poll_interval)


class WaitForLandingFiles(BaseOperator):
    """Returns (XCom) the keys of the feed's waiting files; defers to the triggerer while none wait.

    With the DAG param `wait_for_files` false (a run by hand, the demo) it does not wait: no files
    means skipped at once."""

    ui_color = "#e8f4fa"

    def __init__(self, *, feed: str, poll_interval: float = POLL_INTERVAL_S,
                 watch: timedelta = WATCH_AT_MOST, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed = feed
        self.poll_interval = poll_interval
        self.watch = watch

    def execute(self, context: Any) -> list[str]:
        from airflow.sdk.exceptions import AirflowSkipException

        keys = waiting_files(self.feed)
        if keys:
            return keys
        if not context["params"].get("wait_for_files", True):
            raise AirflowSkipException(f"Geen bestanden voor {self.feed}: niets te doen.")
        from config import load_settings

        self.defer(trigger=LandingFilesTrigger(self.feed, load_settings().landing_url, self.poll_interval,
                                               self.watch.total_seconds()),
                   method_name="execute_complete")

    def execute_complete(self, context: Any, event: dict[str, Any]) -> list[str]:
        from airflow.sdk.exceptions import AirflowSkipException

        if not event.get("keys"):
            raise AirflowSkipException(f"No file for {self.feed} within {self.watch}; the next run watches on.")
        return event["keys"]
