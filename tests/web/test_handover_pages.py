"""交接 pages (pick, preview and hand over, list, detail), the leave page's link to the handover, and
the channel tree page."""

from __future__ import annotations

from maoyi.crm.models import Customer, Handover
from tests.crm.builders import make_customer
from tests.crm.test_handover import Book, Channels


def url(name: str, *args: object) -> str:
    from django.urls import reverse

    return reverse(f"web:{name}", args=args)


def test_pick_preview_and_hand_over(company, client_for) -> None:
    book = Book(company)
    browser = client_for(company.manager_a)

    picked = browser.get(url("handover-create"))
    assert picked.status_code == 200
    assert 'data-testid="handover-pick"' in picked.content.decode()
    page = browser.get(url("handover-create"), {"employee": company.rep_a1.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="handover-customer"') == 2
    assert book.contract.number in html and book.quote.number in html and book.stray.number in html

    response = browser.post(
        f"{url('handover-create')}?employee={company.rep_a1.pk}",
        {"to": company.rep_a2.pk, f"c_{book.second.pk}": company.assistant_a.pk, "reason": "张伟离职"},
    )

    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == url("handover-detail", handover.pk)
    assert Customer.objects.get(pk=book.second.pk).owner == company.assistant_a
    detail = browser.get(url("handover-detail", handover.pk))
    assert detail.status_code == 200
    assert detail.content.decode().count('data-testid="handover-line"') == handover.lines.count()
    listing = browser.get(url("handover-list"), {"q": "张"})
    assert listing.status_code == 200 and handover.number in listing.content.decode()


def test_a_refused_handover_shows_the_error_and_changes_nothing(company, client_for) -> None:
    Book(company)
    browser = client_for(company.manager_a)

    response = browser.post(f"{url('handover-create')}?employee={company.rep_a1.pk}", {"reason": "离职"})

    assert response.status_code == 400
    assert "请为客户" in response.content.decode()
    assert not Handover.objects.exists()
    assert Customer.objects.filter(owner=company.rep_a1).count() == 2


def test_handover_pages_need_the_permission_and_the_scope(company, client_for) -> None:
    make_customer(company.rep_b1, "戊医院")
    assert client_for(company.rep_a1).get(url("handover-create")).status_code == 403
    assert client_for(company.rep_a1).get(url("handover-list")).status_code == 403
    manager = client_for(company.manager_a)
    assert manager.get(url("handover-create"), {"employee": company.rep_b1.pk}).status_code == 404
    assert manager.get(url("handover-create"), {"employee": "x"}).status_code == 404


def test_the_leave_page_links_to_the_handover_while_the_employee_owns_things(company, client_for) -> None:
    make_customer(company.rep_a1, "甲医院")
    admin = client_for(company.admin)

    owning = admin.get(url("employee-leave", company.rep_a1.pk)).content.decode()
    free = admin.get(url("employee-leave", company.rep_b1.pk)).content.decode()

    assert 'data-testid="leave-handover"' in owning and 'data-testid="leave-submit"' not in owning
    assert f"{url('handover-create')}?employee={company.rep_a1.pk}" in owning
    assert "客户 1 个" in owning
    assert 'data-testid="leave-submit"' in free and 'data-testid="leave-handover"' not in free


def test_channel_tree_page_shows_only_what_the_user_may_see(company, client_for) -> None:
    Channels(company)

    response = client_for(company.manager_a).get(url("channel-tree"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "华北医疗分销" in html and "天津代理" in html and "塘沽医院" in html
    assert "河北代理" not in html and "唐山医院" not in html
    assert 'data-testid="channel-scope-note"' in html
    assert client_for(company.purchaser).get(url("channel-tree")).status_code == 403
