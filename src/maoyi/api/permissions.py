from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from maoyi.core.errors import PermissionRefused


class ModelPermission(BasePermission):
    """Reads need the model's view permission, writes its add/change permission; which rows is the
    data scope's business (the viewset's queryset goes through `org.scope.visible`).

    A refusal reads like the services' `PermissionRefused`: one 403 body for "your role may not"."""

    message = PermissionRefused.default_message
    code = PermissionRefused.code

    def has_permission(self, request: Request, view: Any) -> bool:
        model = view.get_queryset().model
        meta = model._meta
        action = getattr(view, "action", None)
        verb = {
            "list": "view",
            "retrieve": "view",
            "create": "add",
            "update": "change",
            "partial_update": "change",
            "destroy": "delete",
        }.get(action or "", getattr(view, "action_permissions", {}).get(action, "change"))
        return bool(request.user and request.user.has_perm(f"{meta.app_label}.{verb}_{meta.model_name}"))
