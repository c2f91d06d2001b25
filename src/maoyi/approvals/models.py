from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import MoneyField
from maoyi.org.policy import ScopePolicy


class ApproverKind(models.TextChoices):
    MANAGER = "manager", _("单据所属部门的经理")
    ROLE = "role", _("指定角色")
    PERSON = "person", _("指定人员")


class ApprovalRule(models.Model):
    """Who approves a document type. Without a matching rule the manager of the document's
    department approves. With several, the one with the highest threshold the amount reaches wins."""

    document_type = models.CharField(_("单据类型"), max_length=40, db_index=True)
    name = models.CharField(_("规则名称"), max_length=100)
    min_amount = MoneyField(_("金额不低于"), null=True, blank=True, help_text=_("留空表示不论金额。"))
    approver_kind = models.CharField(_("审批人"), max_length=10, choices=ApproverKind.choices)
    role = models.ForeignKey(
        "org.Role", verbose_name=_("角色"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "org.Employee",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")
        ordering = ["document_type", "min_amount", "id"]

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    REVOKED = "revoked", _("已反审核")


class ApprovalRequest(models.Model):
    """One round of approval of one document: opened on submit, closed by a decision."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    document = GenericForeignKey("content_type", "object_id")
    document_type = models.CharField(_("单据类型"), max_length=40)
    document_number = models.CharField(_("单据编号"), max_length=40, db_index=True)
    document_title = models.CharField(_("摘要"), max_length=200, blank=True)
    amount = MoneyField(_("金额"), null=True, blank=True)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        "org.Employee", verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("提交时间"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    rule = models.ForeignKey(ApprovalRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approvers = models.ManyToManyField(
        "org.Employee", verbose_name=_("审批人"), related_name="approval_requests"
    )
    decided_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("意见/原因"), max_length=500, blank=True)

    scope_policy = ScopePolicy(owner="requested_by", department="department")

    class Meta:
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="approval_document_idx")]

    def __str__(self) -> str:
        return f"{self.document_number} ({self.get_status_display()})"


class StepDecision(models.TextChoices):
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("审核通过")
    REJECT = "reject", _("驳回")
    WITHDRAW = "withdraw", _("撤回")
    UNAPPROVE = "unapprove", _("反审核")


class ApprovalStep(models.Model):
    """One recorded decision: who, when, what, why."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="steps")
    actor = models.ForeignKey(
        "org.Employee", verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("操作"), max_length=12, choices=StepDecision.choices)
    reason = models.CharField(_("意见/原因"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request.document_number} {self.decision}"
