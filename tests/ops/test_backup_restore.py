"""`maoyi backup` and `maoyi restore`: a company with stock, an order shipped and paid and an
uploaded file is backed up; the archive restored into an empty database (a new process, as an
administrator would run it) has every table equal, checksum for checksum, and the file back in
the uploads folder. Each refusal says why and leaves the target as it was."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from maoyi.attachments.services import upload_attachment
from maoyi.crm.models import Customer
from maoyi.crm.parties import as_party
from maoyi.finance import services as finance
from maoyi.finance.models import Receivable
from maoyi.ops import backup
from tests.conftest import IS_POSTGRES, Company
from tests.sales.builders import Line, approved_order, build_shop, days, item, line_of, put_in, ship

pytestmark = pytest.mark.django_db


def _business(company: Company) -> Customer:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1", expiry=days(300))
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    ship(shop, order, item(line_of(order), "10"))
    receivable = Receivable.objects.get(source_type="sales_order", source_id=order.pk)
    finance.record_settlement(
        direction="receivable",
        actor=company.finance_clerk,
        party=as_party(order.customer),
        amount=receivable.amount,
        occurred_on=days(0),
        allocations=[finance.AllocationInput(receivable.pk, receivable.amount)],
    )
    upload_attachment(
        actor=order.owner,
        record=order.customer,
        upload=ContentFile("签收单 scanned".encode(), name="签收单.txt"),
    )
    return order.customer


def _subprocess_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "maoyi.config.settings_test",  # the test-only app's table too
        "MAOYI_DATA_DIR": str(data_dir),
    }
    env.pop("MAOYI_TEST_DATABASE_URL", None)
    if database_url:
        env["MAOYI_TEST_DATABASE_URL"] = database_url
    return env


def _maoyi(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maoyi.cli", *args], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def empty_database(tmp_path: Path):
    """A new, empty database of the suite's kind, and a data folder for its uploads."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    if not IS_POSTGRES:
        yield data_dir, None
        return
    params = connection.settings_dict
    name = f"{params['NAME']}_restore"[:63]
    admin = psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"
    try:
        yield data_dir, url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.django_db(transaction=True)  # the restoring process reads what this one committed
def test_a_backup_restored_into_an_empty_database_is_equal_table_for_table(
    company: Company, tmp_path: Path, empty_database
) -> None:
    customer = _business(company)
    before = backup.checksums()
    archive = tmp_path / "maoyi.tar.gz"
    call_command("backup", str(archive))

    data_dir, url = empty_database
    env = _subprocess_env(data_dir, url)
    restored = _maoyi("restore", str(archive), env=env)
    assert restored.returncode == 0, restored.stderr
    assert "every table's checksum matches" in restored.stdout
    after = _maoyi("backup", "--checksums", env=env)
    assert after.returncode == 0, after.stderr

    assert json.loads(after.stdout) == before
    assert before["crm_customer"]["rows"] == Customer.objects.count() > 0
    assert before["inventory_stockmove"]["rows"] >= 2  # the receipt into stock and the shipment
    assert before["finance_allocation"]["rows"] == 1
    (attachment,) = _attachments(customer)
    restored_file = data_dir / "uploads" / attachment.file.name
    assert restored_file.read_bytes() == "签收单 scanned".encode()

    again = _maoyi("restore", str(archive), env=env)
    assert again.returncode != 0
    assert "目标数据库不是空的" in again.stderr


def _attachments(customer: Customer) -> list:
    from django.contrib.contenttypes.models import ContentType

    from maoyi.attachments.models import Attachment

    kind = ContentType.objects.get_for_model(Customer)
    return list(Attachment.objects.filter(content_type=kind, object_id=customer.pk))


def _empty_everything() -> None:
    with transaction.atomic():  # foreign keys are checked at commit
        backup._empty_all([t.name for t in backup.tables()])


def test_restore_into_this_database_after_emptying_it_gives_the_same_checksums(
    company: Company, tmp_path: Path
) -> None:
    _business(company)
    before = backup.checksums()
    archive = tmp_path / "b.tar.gz"
    backup.backup(archive)
    _empty_everything()
    assert backup.checksums()["crm_customer"]["rows"] == 0

    manifest = backup.restore(archive, migrate=False)

    assert backup.checksums() == before
    assert manifest["tables"]["crm_customer"]["checksum"] == before["crm_customer"]["checksum"]


def test_restore_refuses_a_database_that_is_not_empty(company: Company, tmp_path: Path) -> None:
    _business(company)
    archive = tmp_path / "b.tar.gz"
    backup.backup(archive)
    before = backup.checksums()

    with pytest.raises(
        CommandError, match="目标数据库不是空的（已有员工、客户、商品或订单），恢复只能写入空数据库。"
    ):
        call_command("restore", str(archive))

    assert backup.checksums() == before


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy an archive member by member, letting `change(name, data)` alter or drop members."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            result = change(member.name, data)
            if result is None:
                continue
            name, data = result
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_a_tampered_archive_is_refused_and_nothing_is_kept(company: Company, tmp_path: Path) -> None:
    _business(company)
    archive, tampered = tmp_path / "b.tar.gz", tmp_path / "t.tar.gz"
    backup.backup(archive)

    def lower_amounts(name: str, data: bytes):
        if name == "tables/finance_allocation.jsonl":
            rows = [json.loads(line) for line in data.splitlines()]
            for row in rows:
                for i, value in enumerate(row):
                    if isinstance(value, dict) and "d" in value and D(value["d"]) > 0:
                        row[i] = {"d": str(D(value["d"]) - 1)}
                        break
            return name, b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
        return name, data

    _rewrite(archive, tampered, lower_amounts)
    _empty_everything()

    with pytest.raises(backup.BackupError, match="恢复后校验不一致，已全部撤销：finance_allocation"):
        backup.restore(tampered, migrate=False)

    assert backup.checksums()["finance_allocation"]["rows"] == 0
    assert backup.checksums()["crm_customer"]["rows"] == 0


def test_an_archive_from_a_newer_version_is_refused(company: Company, tmp_path: Path) -> None:
    _business(company)
    archive, newer = tmp_path / "b.tar.gz", tmp_path / "n.tar.gz"
    backup.backup(archive)

    def change(name: str, data: bytes):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"].append(["sales", "9999_from_the_future"])
            return name, json.dumps(manifest).encode()
        return name, data

    _rewrite(archive, newer, change)
    _empty_everything()

    with pytest.raises(
        backup.BackupError,
        match=re.escape("备份来自更新的版本（本程序没有这些迁移：sales.9999_from_the_future）"),
    ):
        backup.restore(newer, migrate=False)
    assert backup.checksums()["crm_customer"]["rows"] == 0


def test_file_names_leaving_the_uploads_folder_are_refused(company: Company, tmp_path: Path) -> None:
    _business(company)
    archive, evil = tmp_path / "b.tar.gz", tmp_path / "e.tar.gz"
    backup.backup(archive)

    def change(name: str, data: bytes):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["files"].append("../../escaped.txt")
            return name, json.dumps(manifest).encode()
        return name, data

    _rewrite(archive, evil, change)
    _empty_everything()

    with pytest.raises(backup.BackupError, match=r"备份文件中有不安全的路径：\.\./\.\./escaped\.txt"):
        backup.restore(evil, migrate=False)
    assert not (Path(settings.MEDIA_ROOT).parent.parent / "escaped.txt").exists()


def test_backup_refuses_to_overwrite_and_restore_refuses_what_is_not_a_backup(
    company: Company, tmp_path: Path
) -> None:
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="文件已存在"):
        call_command("backup", str(existing))
    assert existing.read_bytes() == b"keep me"

    not_a_backup = tmp_path / "x.tar.gz"
    with tarfile.open(not_a_backup, "w:gz") as archive:
        info = tarfile.TarInfo("hello.txt")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(CommandError, match=r"这不是贸易的备份文件（缺少 manifest.json）。"):
        call_command("restore", str(not_a_backup))
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
