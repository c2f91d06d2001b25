from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from maoyi.approvals.services import assign_number
from maoyi.audit import services as audit
from maoyi.org.models import Employee
from tests.docapp.models import SampleDocument


@transaction.atomic
def create_sample(
    *, actor: Employee, title: str, amount: Decimal = Decimal("0"), fail: bool = False
) -> SampleDocument:
    doc = SampleDocument(
        title=title, amount=amount, owner=actor, department=actor.department, created_by=actor.user
    )
    assign_number(doc)
    doc.save()
    audit.record_created(actor, doc, ("number", "title", "amount", "status"))
    if fail:
        raise RuntimeError("rolled back on purpose")
    return doc
