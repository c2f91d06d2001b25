from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ActiveTokenAuthentication(TokenAuthentication):
    """A token works only while its user is active: a left (离职) employee's token stops at once."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        employee = getattr(user, "employee", None)
        if employee is not None and employee.status != "active":
            raise exceptions.AuthenticationFailed(_("该账号已停用（员工已离职）。"))
        return user, token
