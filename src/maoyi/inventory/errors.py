from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import DomainError


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    default_message = _("库存不足。")


class LotExpired(DomainError):
    code = "lot_expired"
    default_message = _("批次已过期，不能发给客户。")


class LotRequired(DomainError):
    code = "lot_required"
    default_message = _("此商品实行批次管理，请填写批号。")
