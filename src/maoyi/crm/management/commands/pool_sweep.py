"""`maoyi pool_sweep [--date YYYY-MM-DD]`: the public pool's daily sweep (run it once a day, e.g.
from cron at 01:00). Reminds owners, tells managers, and returns idle customers to the pool
(`crm.services.pool.sweep_pool`); running it twice the same day changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maoyi.crm.services.pool import sweep_pool


class Command(BaseCommand):
    help = "Public pool (公海) sweep: remind owners, tell managers, return idle customers to the pool."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to sweep for, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, date: str | None = None, **options: Any) -> None:
        today = timezone.localdate()
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date: expected YYYY-MM-DD, got {date!r}") from exc
        result = sweep_pool(today=today)
        self.stdout.write(self.style.SUCCESS(f"{today.isoformat()} {result.summary()}"))
        for label, rows in (
            ("reminded", result.owners_reminded),
            ("manager told", result.managers_told),
            ("returned", result.returned),
        ):
            for customer in rows:
                self.stdout.write(f"  {label}: {customer.name} (#{customer.pk})")
