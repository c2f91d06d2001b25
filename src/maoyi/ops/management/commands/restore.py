"""`maoyi restore PATH`: load a backup archive into an empty database (it migrates first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maoyi.ops import backup


class Command(BaseCommand):
    help = "Load a backup archive into an EMPTY database and the uploads folder. 从备份恢复（仅限空数据库）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive written by `maoyi backup`")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            manifest = backup.restore(Path(path))
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"restored {len(manifest['tables'])} tables, {rows} rows, {len(manifest['files'])} files "
            f"from {manifest['vendor']} ({manifest['created_at']}); every table's checksum matches"
        )
