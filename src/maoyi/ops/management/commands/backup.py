"""`maoyi backup [PATH]`: one consistent archive of the database and the uploaded files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maoyi.ops import backup


class Command(BaseCommand):
    help = "Write a backup archive (.tar.gz) of every table and the uploads folder. 备份数据库和附件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            help="the archive to write (default: <data dir>/backups/maoyi-<time>.tar.gz)",
        )
        parser.add_argument(
            "--checksums",
            action="store_true",
            help="write nothing: print every table's row count and checksum as JSON",
        )

    def handle(self, *args: Any, path: str | None = None, checksums: bool = False, **options: Any) -> None:
        if checksums:
            self.stdout.write(json.dumps(backup.checksums(), indent=1, sort_keys=True))
            return
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = Path(path) if path else Path(settings.DATA_DIR) / "backups" / f"maoyi-{stamp}.tar.gz"
        try:
            manifest = backup.backup(target)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"{target}: {len(manifest['tables'])} tables, {rows} rows, {len(manifest['files'])} files"
        )
