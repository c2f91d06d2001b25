from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Maoyi with gunicorn (the same server `make run` starts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        bind = f"{options['host']}:{options['port']}"
        argv = [sys.executable, "-m", "gunicorn", "maoyi.config.wsgi:application", "--bind", bind]
        argv += ["--workers", str(options["workers"]), "--access-logfile", "-"]
        self.stdout.write(f"Maoyi on http://{bind}/")
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
