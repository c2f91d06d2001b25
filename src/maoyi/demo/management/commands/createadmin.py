from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maoyi.core.errors import DomainError
from maoyi.org import services
from maoyi.org.models import Department


class Command(BaseCommand):
    help = "Create an administrator (an employee with the admin role) for a company without demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--name", default="系统管理员")
        parser.add_argument("--password", help="asked for when omitted")
        parser.add_argument("--company", default="总公司", help="top department, created when there is none")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Password: ")
        roles = services.ensure_built_in_roles()
        root = Department.objects.filter(parent=None).order_by("pk").first()
        try:
            if root is None:
                root = services.create_department(actor=None, name=options["company"], parent=None)
            employee = services.create_employee(
                actor=None,
                username=options["username"],
                password=password,
                name=options["name"],
                department=root,
                roles=[roles["admin"]],
                title="系统管理员",
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"administrator {employee.user.username} created"))
