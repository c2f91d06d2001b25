"""Business-rule refusals. A service raises a DomainError with a stable code (API.md, 409) and a
message in the user's language; the interfaces turn it into a 409 or a form error."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    default_message: Any = _("操作被业务规则拒绝。")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        **params: Any,
    ):
        self.code = code or self.code
        self.field = field  # the input field the refusal is about, when there is one
        self.params = params
        self._message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % self.params if self.params else text


class InvalidState(DomainError):
    code = "invalid_state"
    default_message = _("单据当前状态不允许此操作。")


class NotApprover(DomainError):
    code = "not_approver"
    default_message = _("您不是这张单据的审批人。")


class HasDownstream(DomainError):
    code = "has_downstream"
    default_message = _("已有后续单据，不能反审核。")


class NoApprover(DomainError):
    code = "no_approver"
    default_message = _("找不到这张单据的审批人，请联系管理员设置审批规则或部门经理。")


class ReasonRequired(DomainError):
    code = "reason_required"
    default_message = _("请填写原因。")


class PermissionRefused(DomainError):
    code = "permission_denied"
    default_message = _("您的角色不能执行此操作。")


class NotFoundInScope(DomainError):
    """Raised when a record does not exist or lies outside the caller's data scope: the two are
    indistinguishable on purpose."""

    code = "not_found"
    default_message = _("记录不存在。")


def line_error(index: int, field: str, problem: Any, *, code: str = "invalid") -> DomainError:
    """A refusal about one line of a document's grid; `field` is `lines.<index>.<field>` so a page
    can show it on that cell, and the message names the row for everyone else."""
    return DomainError(
        _("第 %(row)s 行：%(problem)s"),
        code=code,
        field=f"lines.{index}.{field}",
        row=index + 1,
        problem=problem,
    )


MAX_REASON = 500


def required_reason(reason: str | None, *, max_length: int = MAX_REASON) -> str:
    """A reason that must be given (驳回, 红冲, 反审核 …): stripped, refused when blank
    (`reason_required`), cut to what the records keep."""
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired(field="reason")
    return text[:max_length]
