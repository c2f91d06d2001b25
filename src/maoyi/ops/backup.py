"""Backup and restore of a whole installation: every table of every installed model and the
uploaded files, in one archive that either database can load.

The archive (`.tar.gz`) holds `manifest.json` (when, from which database, the migrations applied,
and per table its row count and checksum), `tables/<table>.jsonl` (one JSON array of column values
per row, ordered by primary key) and `files/…` (the uploads folder, MEDIA_ROOT).

Consistency: every table is read in ONE transaction. On PostgreSQL it is REPEATABLE READ and READ
ONLY, so the tables are one snapshot while people go on working; SQLite's write transaction
(`transaction_mode=IMMEDIATE`, see settings.tune_database) holds writers back until the read ends.
Files are copied after the tables: an upload that lands meanwhile is in the folder but has no row,
which is harmless; a row's file is never missing, because attachments are never deleted while
their row lives.

Restore loads an archive into an EMPTY database (no employee, no customer, no document): it
migrates, then, in one transaction, empties every table (what migrations seeded: content types,
permissions, groups, numbering rules) and inserts the archived rows exactly, so ids, content types
and generic references are the ones the backup had. Foreign keys are checked at commit (Django
creates them deferrable on PostgreSQL; SQLite defers them in the transaction), sequences are moved
past the largest id, and the checksums of the loaded tables must equal the manifest's or nothing
is kept.

Checksums are computed from values as Python sees them (Decimals at the field's places, datetimes
in UTC, JSON with sorted keys), so a backup of SQLite restored into PostgreSQL checks equal."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "maoyi-backup/1"
BATCH = 2000
# Tables that must be empty for a database to count as empty (a fresh migrate seeds none of them).
BUSINESS_TABLES = ("org.Employee", "crm.Customer", "catalog.Product", "sales.SalesOrder")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the administrator."""


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    fields: tuple[models.Field, ...]

    @property
    def name(self) -> str:
        return str(self.model._meta.db_table)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]


def tables() -> list[Table]:
    """Every concrete table of the installed models, many-to-many tables included, by name."""
    found: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        found[meta.db_table] = Table(model, tuple(meta.concrete_fields))
    return [found[name] for name in sorted(found)]


def _canonical(field: models.Field, value: Any) -> Any:
    """A value as plain JSON that is the same whichever database it came from."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None:
            value = value.quantize(decimal.Decimal(1).scaleb(-places))
        return {"d": str(value)}
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"D": value.isoformat()}
    if isinstance(value, dt.time):
        return {"T": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"s": value.total_seconds()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if isinstance(value, bytes | memoryview):
        return {"b": bytes(value).hex()}
    if isinstance(field, models.JSONField):
        return {"j": json.dumps(value, sort_keys=True, ensure_ascii=False)}
    return value


def _python(field: models.Field, value: Any) -> Any:
    """Back from `_canonical`, as the field expects it in Python."""
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    if tag == "d":
        return decimal.Decimal(raw)
    if tag == "t":
        moment = dt.datetime.fromisoformat(raw)
        return moment if settings.USE_TZ else timezone.make_naive(moment, dt.UTC)
    if tag == "D":
        return dt.date.fromisoformat(raw)
    if tag == "T":
        return dt.time.fromisoformat(raw)
    if tag == "s":
        return dt.timedelta(seconds=raw)
    if tag == "u":
        return uuid.UUID(raw)
    if tag == "b":
        return bytes.fromhex(raw)
    if tag == "j":
        return json.loads(raw)
    raise BackupError(_("备份中有无法识别的值：%(value)s") % {"value": value})


def _rows(table: Table) -> Iterator[list[Any]]:
    attnames = [f.attname for f in table.fields]
    query = table.model._base_manager.order_by("pk").values_list(*attnames)
    for values in query.iterator(chunk_size=BATCH):
        yield [_canonical(f, v) for f, v in zip(table.fields, values, strict=True)]


def _line(row: list[Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@dataclass
class Summary:
    rows: int
    checksum: str


def _summarise(lines: Iterable[bytes]) -> Summary:
    digest, count = hashlib.sha256(), 0
    for line in lines:
        digest.update(line)
        count += 1
    return Summary(count, digest.hexdigest())


def checksums() -> dict[str, dict[str, Any]]:
    """Per table: row count and SHA-256 of its canonical rows, read in one consistent snapshot."""
    with _snapshot():
        return {t.name: vars(_summarise(_line(r) for r in _rows(t))) for t in tables()}


class _snapshot:
    """One read transaction over every table: a snapshot on PostgreSQL, the write lock on SQLite."""

    def __enter__(self) -> None:
        outermost = not connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def __exit__(self, *exc: Any) -> None:
        self._atomic.__exit__(*exc)


def _applied_migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output` (a new file) and return its manifest."""
    if output.exists():
        raise BackupError(_("文件已存在：%(path)s（请换一个文件名）") % {"path": output})
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "vendor": connection.vendor,
        "migrations": [],
        "tables": {},
        "files": [],
    }
    with tempfile.TemporaryDirectory(prefix="maoyi-backup-") as work, _snapshot():
        manifest["migrations"] = _applied_migrations()
        with tarfile.open(partial, "w:gz") as archive:
            for table in tables():
                path = Path(work) / f"{table.name}.jsonl"
                digest, count = hashlib.sha256(), 0
                with path.open("wb") as out:
                    for row in _rows(table):
                        line = _line(row)
                        digest.update(line)
                        out.write(line)
                        count += 1
                archive.add(path, arcname=f"tables/{table.name}.jsonl")
                manifest["tables"][table.name] = {
                    "rows": count,
                    "checksum": digest.hexdigest(),
                    "columns": table.columns,
                }
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                for file in sorted(p for p in media.rglob("*") if p.is_file()):
                    relative = file.relative_to(media).as_posix()
                    archive.add(file, arcname=f"files/{relative}")
                    manifest["files"].append(relative)
            _add_bytes(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    partial.rename(output)
    return manifest


def _member_path(name: str) -> str:
    """Refuse archive members that would land outside their folder (absolute, `..`)."""
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts:
        raise BackupError(_("备份文件中有不安全的路径：%(name)s") % {"name": name})
    return name


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise BackupError(_("这不是贸易的备份文件（缺少 manifest.json）。"))
    manifest: dict[str, Any] = json.load(member)
    if manifest.get("format") != FORMAT:
        raise BackupError(_("不支持的备份格式：%(format)s") % {"format": manifest.get("format")})
    return manifest


def _is_empty() -> bool:
    for label in BUSINESS_TABLES:
        model = apps.get_model(label)
        if model._base_manager.exists():
            return False
    return True


def _check_matches_code(manifest: dict[str, Any]) -> None:
    from django.db.migrations.loader import MigrationLoader

    known = {f"{app}.{name}" for app, name in MigrationLoader(connection).disk_migrations}
    archived = {f"{app}.{name}" for app, name in manifest["migrations"]}
    unknown = sorted(archived - known)
    if unknown:
        raise BackupError(
            _("备份来自更新的版本（本程序没有这些迁移：%(names)s），请先升级程序再恢复。")
            % {"names": "、".join(unknown[:5])}
        )
    current = {t.name: t for t in tables()}
    for name, facts in manifest["tables"].items():
        table = current.get(name)
        if table is None:
            raise BackupError(_("备份中的表 %(table)s 在本程序中不存在。") % {"table": name})
        if facts["columns"] != table.columns:
            raise BackupError(
                _("备份中表 %(table)s 的列与本程序不一致，请使用备份时的版本恢复。") % {"table": name}
            )


def _insert(table: Table, lines: Iterable[bytes]) -> None:
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (our own table and column names)
        quote(table.name),
        ", ".join(quote(c) for c in table.columns),
        ", ".join(["%s"] * len(table.columns)),
    )
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for line in lines:
            row = json.loads(line)
            batch.append(
                [
                    f.get_db_prep_save(_python(f, v), connection)
                    for f, v in zip(table.fields, row, strict=True)
                ]
            )
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _empty_all(names: list[str]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE refuses tables with foreign-key checks still pending in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE {} CASCADE".format(", ".join(quote(n) for n in names)))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for name in names:
                cursor.execute(f"DELETE FROM {quote(name)}")  # noqa: S608 (our own table names)


def restore(source: Path, *, migrate: bool = True) -> dict[str, Any]:
    """Load the archive at `source` into this (empty) database and the uploads folder."""
    if not source.is_file():
        raise BackupError(_("找不到备份文件：%(path)s") % {"path": source})
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed below)
    except tarfile.TarError as error:
        raise BackupError(_("这不是贸易的备份文件（无法读取：%(error)s）。") % {"error": error}) from error
    with archive:
        manifest = read_manifest(archive)
        _check_matches_code(manifest)
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        if not _is_empty():
            raise BackupError(_("目标数据库不是空的（已有员工、客户、商品或订单），恢复只能写入空数据库。"))
        by_name = {t.name: t for t in tables()}
        with transaction.atomic():
            _empty_all(list(by_name))
            for name in manifest["tables"]:
                member = archive.extractfile(f"tables/{name}.jsonl")
                if member is None:
                    raise BackupError(_("备份文件缺少表 %(table)s。") % {"table": name})
                _insert(by_name[name], member)
            if connection.vendor == "postgresql":
                statements = connection.ops.sequence_reset_sql(
                    no_style(), [t.model for t in by_name.values()]
                )
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
            loaded = {t.name: vars(_summarise(_line(r) for r in _rows(t))) for t in by_name.values()}
            wrong = sorted(
                name
                for name, facts in manifest["tables"].items()
                if (facts["rows"], facts["checksum"]) != (loaded[name]["rows"], loaded[name]["checksum"])
            )
            if wrong:
                raise BackupError(
                    _("恢复后校验不一致，已全部撤销：%(tables)s") % {"tables": "、".join(wrong[:10])}
                )
        _restore_files(archive, manifest)
    return manifest


def _restore_files(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    for relative in manifest["files"]:
        member = archive.extractfile(f"files/{_member_path(relative)}")
        if member is None:
            raise BackupError(_("备份文件缺少附件 %(name)s。") % {"name": relative})
        target = media / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(member, out)
