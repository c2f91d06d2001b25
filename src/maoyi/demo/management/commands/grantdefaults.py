from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maoyi.org.services import grant_default_permissions


class Command(BaseCommand):
    help = "Give the built-in roles the default permissions they lack (after an upgrade); removes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        granted = grant_default_permissions()
        if not granted:
            self.stdout.write("grantdefaults: every built-in role already has its default permissions")
        for code, names in granted.items():
            self.stdout.write(f"grantdefaults: {code} +{len(names)}: {', '.join(names)}")
