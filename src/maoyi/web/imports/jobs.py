"""Import jobs: a file checked (预览) and then imported in a background thread started by the
request, while the page polls the job's progress.

The state lives in the "shared" cache (a folder under the data directory, or Redis or the database
when several app servers share the work: settings.CACHES), not in the default cache: that one is
per process (local memory) and the server runs several worker processes, so the poll may reach
another process than the one running the thread. A job belongs to the user who uploaded the file
and expires after a day. `INLINE` runs the work in the request instead (tests)."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext as _

from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.core.importing import RowImporter
from maoyi.core.tabular import ImportInvalid, RowProblem, Table, read_table
from maoyi.org.models import Employee

log = logging.getLogger(__name__)

INLINE = False
TTL = 24 * 3600
PREVIEW_ROWS = 100

CHECKING, CHECKED, IMPORTING, DONE = "checking", "checked", "importing", "done"
RUNNING = (CHECKING, IMPORTING)


def store() -> BaseCache:
    return caches["shared"]


@dataclass
class Job:
    id: str
    slug: str
    user_id: int
    actor_id: int
    language: str
    file_name: str
    status: str = CHECKING
    percent: int = 0
    rows: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    error: str = ""
    imported: int = 0
    headers: list[str] = field(default_factory=list)
    preview: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def clean(self) -> bool:
        return self.status == CHECKED and not self.problems and not self.error and self.rows > 0

    def problem_list(self) -> list[RowProblem]:
        return [RowProblem(row, column, message) for row, column, message in self.problems]

    @property
    def problem_rows(self) -> set[int]:
        return {row for row, _column, _message in self.problems}


def _key(job_id: str, part: str = "state") -> str:
    return f"import:{job_id}:{part}"


def save(job: Job) -> None:
    store().set(_key(job.id), job.__dict__, TTL)


def load(job_id: str) -> Job | None:
    data = store().get(_key(job_id))
    return Job(**data) if isinstance(data, dict) else None


def _progress(job: Job) -> Any:
    def report(share: float) -> None:
        percent = min(max(int(share * 100), 0), 99)
        if percent > job.percent:
            job.percent = percent
            save(job)

    return report


def _start(target: Any, *args: Any) -> None:
    if INLINE:
        target(*args)
        return
    threading.Thread(target=target, args=args, daemon=True, name="maoyi-import").start()


def _actor(job: Job) -> Employee:
    return Employee.objects.select_related("user", "department").get(pk=job.actor_id)


def _fail(job: Job, exc: Exception) -> None:
    if isinstance(exc, ImportInvalid):
        job.problems = [(p.row, p.column, p.message) for p in exc.problems]
        job.error = exc.message
    elif isinstance(exc, PermissionRefused):
        job.error = _("你没有执行此导入的权限。")
    elif isinstance(exc, DomainError):
        job.error = exc.message
    else:
        log.exception("import job %s failed", job.id)
        job.error = _("导入失败：服务器出错，没有导入任何数据。请稍后重试或联系管理员。")


def _check(job: Job, importer: RowImporter[Any]) -> None:
    with translation.override(job.language):
        try:
            data = store().get(_key(job.id, "file"))
            if data is None:
                raise DomainError(_("上传的文件已过期，请重新上传。"))
            table = read_table(
                io.BytesIO(data), name=job.file_name, max_bytes=importer.max_bytes, max_rows=importer.max_rows
            )
            store().delete(_key(job.id, "file"))
            job.rows = len(table.rows)
            job.headers = list(table.headers)
            job.preview = [(r.number, [r.get(h) for h in table.headers]) for r in table.rows[:PREVIEW_ROWS]]
            save(job)
            check = importer.check(table, actor=_actor(job), progress=_progress(job))
            job.problems = [(p.row, p.column, p.message) for p in check.problems]
            if check.clean:
                store().set(_key(job.id, "table"), table.to_data(), TTL)
        except Exception as exc:  # whatever happens, the page must stop waiting and say so
            _fail(job, exc)
        finally:
            job.status, job.percent = CHECKED, 100
            save(job)
            if not INLINE:  # the thread's own connection; inline, it is the request's
                connections.close_all()


def _import(job: Job, importer: RowImporter[Any]) -> None:
    with translation.override(job.language):
        try:
            data = store().get(_key(job.id, "table"))
            if data is None:
                raise DomainError(_("预览已失效，请重新上传文件。"))
            job.imported = importer.run(Table.from_data(data), actor=_actor(job), progress=_progress(job))
            store().delete(_key(job.id, "table"))
        except Exception as exc:
            _fail(job, exc)
        finally:
            job.status, job.percent = DONE, 100
            save(job)
            if not INLINE:  # the thread's own connection; inline, it is the request's
                connections.close_all()


def start_check(
    importer: RowImporter[Any], *, user_id: int, actor: Employee, file_name: str, data: bytes
) -> Job:
    """A new job checking an uploaded file."""
    job = Job(
        id=uuid.uuid4().hex,
        slug=importer.slug,
        user_id=user_id,
        actor_id=actor.pk,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=file_name,
    )
    store().set(_key(job.id, "file"), data, TTL)
    save(job)
    _start(_check, job, importer)
    return job


def start_import(job: Job, importer: RowImporter[Any]) -> bool:
    """Import a clean, checked job's rows; False when it is not (or no longer) one to import."""
    if not job.clean or not store().add(_key(job.id, "started"), True, TTL):
        return False
    job.status, job.percent = IMPORTING, 0
    save(job)
    _start(_import, job, importer)
    return True
