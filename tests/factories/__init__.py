"""Shared builders for tests. They go through the services, so every record a test starts from is
one the application itself could have made."""

from __future__ import annotations

import itertools
from decimal import Decimal

from maoyi.org import services as org
from maoyi.org.models import Department, Employee, Role
from tests.docapp.models import SampleDocument
from tests.docapp.services import create_sample

PASSWORD = "Test-pass-2026!"
_seq = itertools.count(1)


def make_department(name: str, parent: Department | None = None) -> Department:
    return org.create_department(actor=None, name=name, parent=parent)


def make_employee(
    department: Department,
    *roles: str,
    username: str | None = None,
    name: str | None = None,
    is_manager: bool = False,
    password: str = PASSWORD,
) -> Employee:
    n = next(_seq)
    all_roles = {r.code: r for r in Role.objects.all()}
    if not all(code in all_roles for code in roles):
        all_roles = org.ensure_built_in_roles()
    return org.create_employee(
        actor=None,
        username=username or f"user{n}",
        password=password,
        name=name or f"员工{n}",
        department=department,
        roles=[all_roles[code] for code in roles],
        is_manager=is_manager,
        validate=False,
    )


def make_sample(owner: Employee, title: str = "测试单据", amount: str | Decimal = "100.00") -> SampleDocument:
    return create_sample(actor=owner, title=title, amount=Decimal(str(amount)))


def role(code: str) -> Role:
    return org.ensure_built_in_roles()[code]
