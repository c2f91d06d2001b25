"""Trees stored as materialized paths ("/1/4/9/"): a node's subtree is one indexed prefix query.
Departments and product categories use these helpers; services keep the paths right on a move."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models


class PathNode(Protocol):
    pk: Any
    path: str


def node_path(parent: PathNode | None, pk: int) -> str:
    return f"{parent.path if parent else '/'}{pk}/"


def repath_descendants(model: type[models.Model], node: PathNode, old_path: str) -> None:
    """After `node` moved from `old_path` to `node.path`, move every descendant with it."""
    if node.path == old_path:
        return
    for child in model._default_manager.filter(path__startswith=old_path).exclude(pk=node.pk):
        child.path = node.path + child.path[len(old_path) :]  # type: ignore[attr-defined]
        child.save(update_fields=["path"])
