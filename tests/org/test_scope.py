"""The data-scope gate (R8): who sees which owned rows. Policies: own (本人), department with its
sub-departments (本部门), all (全公司); the widest of a user's roles wins; left employees see nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from maoyi.org import scope
from maoyi.org import services as org
from maoyi.org.models import DataScope, Department, Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_employee, make_sample, role

ALL_DOCS = frozenset({"rep_a1", "rep_a2", "rep_b1", "purchaser", "team_a_unowned"})
TEAM_A = frozenset({"rep_a1", "rep_a2", "team_a_unowned"})

# viewer -> the documents they see. Documents are named after their owner; "team_a_unowned" belongs to
# team A but its owner has left, so only department-wide and company-wide viewers see it.
EXPECTED: dict[str, frozenset[str]] = {
    "admin": ALL_DOCS,
    "sales_head": TEAM_A | {"rep_b1"},
    "manager_a": TEAM_A,
    "rep_a1": frozenset({"rep_a1"}),
    "rep_a2": frozenset({"rep_a2"}),
    "rep_b1": frozenset({"rep_b1"}),
    "assistant_a": TEAM_A,
    "purchaser": frozenset({"purchaser"}),
    "finance_clerk": ALL_DOCS,
}

EXPECTED_SCOPE: dict[str, DataScope] = {
    "admin": DataScope.ALL,
    "sales_head": DataScope.DEPARTMENT,
    "manager_a": DataScope.DEPARTMENT,  # manager + salesperson: the wider one wins
    "rep_a1": DataScope.OWN,
    "rep_a2": DataScope.OWN,
    "rep_b1": DataScope.OWN,
    "assistant_a": DataScope.DEPARTMENT,
    "purchaser": DataScope.OWN,
    "finance_clerk": DataScope.ALL,
}


@dataclass
class Documents:
    by_name: dict[str, SampleDocument]

    def names(self, docs: object) -> set[str]:
        pks = {doc.pk for doc in docs}  # type: ignore[attr-defined]
        return {name for name, doc in self.by_name.items() if doc.pk in pks}


@pytest.fixture
def documents(company: Company) -> Documents:
    by_name = {
        name: make_sample(getattr(company, name), title=f"{name} 的单据")
        for name in ("rep_a1", "rep_a2", "rep_b1", "purchaser")
    }
    former = make_employee(company.team_a, "salesperson", username="former_a", name="前同事")
    by_name["team_a_unowned"] = make_sample(former, title="离职员工留下的单据")
    org.leave_employee(former, actor=None, handover_to=company.rep_a2)
    return Documents(by_name)


def fresh_user(employee: Employee) -> object:
    """The user as a new request would load it (no permission or scope caches)."""
    return get_user_model().objects.get(pk=employee.user_id)


def test_the_matrix_covers_every_fixture_employee(company: Company) -> None:
    names = {name for name, value in vars(company).items() if isinstance(value, Employee)}
    assert set(EXPECTED) == names
    assert set(EXPECTED_SCOPE) == names


@pytest.mark.parametrize("viewer", sorted(EXPECTED))
def test_each_employee_sees_exactly_the_documents_of_their_scope(
    company: Company, documents: Documents, viewer: str
) -> None:
    user = fresh_user(getattr(company, viewer))

    seen = scope.visible(user, SampleDocument.objects.all())

    assert documents.names(seen) == EXPECTED[viewer]
    assert scope.data_scope(user) == EXPECTED_SCOPE[viewer]
    for name, doc in documents.by_name.items():
        assert scope.can_view(user, doc) is (name in EXPECTED[viewer]), name
        if name in EXPECTED[viewer]:
            assert scope.get_visible(user, SampleDocument.objects.all(), pk=doc.pk) == doc
        else:  # "not yours" and "missing" are the same answer
            with pytest.raises(SampleDocument.DoesNotExist):
                scope.get_visible(user, SampleDocument.objects.all(), pk=doc.pk)


def test_can_change_needs_the_change_permission_as_well_as_the_scope(
    company: Company, documents: Documents
) -> None:
    own, others = documents.by_name["rep_a1"], documents.by_name["rep_b1"]
    assert scope.can_view(fresh_user(company.rep_a1), own)
    assert not scope.can_change(fresh_user(company.rep_a1), own)

    change = Permission.objects.get(codename="change_sampledocument", content_type__app_label="docapp")
    role("salesperson").group.permissions.add(change)

    assert scope.can_change(fresh_user(company.rep_a1), own)
    assert not scope.can_change(fresh_user(company.rep_a1), others)
    assert not scope.can_view(fresh_user(company.rep_a1), others)


def test_a_left_employee_sees_nothing_not_even_their_own_documents(
    company: Company, documents: Documents
) -> None:
    own = documents.by_name["rep_a1"]
    org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_a2)
    user = fresh_user(company.rep_a1)

    assert scope.employee_of(user) is None
    assert scope.data_scope(user) is None
    assert not scope.visible(user, SampleDocument.objects.all()).exists()
    assert not scope.can_view(user, own)
    assert not scope.can_change(user, own)


def test_a_left_manager_no_longer_sees_the_department(company: Company, documents: Documents) -> None:
    org.leave_employee(company.manager_a, actor=None, handover_to=company.sales_head)

    assert not scope.visible(fresh_user(company.manager_a), SampleDocument.objects.all()).exists()


def test_a_user_without_an_employee_record_sees_nothing_and_a_superuser_sees_everything(
    company: Company, documents: Documents
) -> None:
    plain = get_user_model().objects.create_user(username="no_employee", password="x")
    root = get_user_model().objects.create_superuser(username="root", password="x")

    assert not scope.visible(plain, SampleDocument.objects.all()).exists()
    assert scope.data_scope(plain) is None
    assert documents.names(scope.visible(root, SampleDocument.objects.all())) == ALL_DOCS


def test_an_anonymous_user_sees_nothing(company: Company, documents: Documents) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not scope.visible(AnonymousUser(), SampleDocument.objects.all()).exists()
    assert not scope.visible(None, SampleDocument.objects.all()).exists()


def test_a_document_moved_into_another_team_follows_the_department_not_the_owner(
    company: Company, documents: Documents
) -> None:
    doc = documents.by_name["rep_a1"]
    SampleDocument.objects.filter(pk=doc.pk).update(department=company.team_b)

    assert not scope.can_view(fresh_user(company.manager_a), doc)
    assert scope.can_view(fresh_user(company.rep_a1), doc)  # still the owner
    assert scope.can_view(fresh_user(company.sales_head), doc)


def test_the_scope_applies_to_employees_and_departments_as_well(company: Company) -> None:
    manager_a = fresh_user(company.manager_a)
    rep_a1 = fresh_user(company.rep_a1)

    colleagues = set(scope.visible(manager_a, Employee.objects.all()))
    assert colleagues == {company.manager_a, company.rep_a1, company.rep_a2, company.assistant_a}
    assert set(scope.visible(rep_a1, Employee.objects.all())) == {company.rep_a1}
    assert set(scope.visible(manager_a, Department.objects.all())) == {company.team_a}
    assert set(scope.visible(fresh_user(company.sales_head), Department.objects.all())) == {
        company.sales,
        company.team_a,
        company.team_b,
    }
    assert not scope.visible(rep_a1, Department.objects.all()).exists()
