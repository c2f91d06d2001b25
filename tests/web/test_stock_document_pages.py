"""The stock document pages (期初库存, 盘点, 调拨) as a warehouse keeper, their manager and people
without the permissions see them: lists, detail with workflow buttons, forms with a line grid,
approval through the inbox (which posts), and reversal."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.approvals.models import ApprovalRequest
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.inventory.models import Lot, OpeningStock, StockMove, StockReversal, Stocktake, Transfer
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services.opening import OpeningLineInput, create_opening_stock
from maoyi.inventory.services.transfer import TransferLineInput
from tests.factories import make_employee
from tests.inventory.stockdocs import build_stock, level, post_opening, post_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(company):
    return build_stock(company)


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return re.findall(r'data-testid="document-link">([^<]+)<', text(response))


def grid(rows: list[dict[str, str]], **header: str) -> dict[str, str]:
    """A form post: the header fields plus the line grid as a formset named "lines"."""
    data = {
        **header,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"lines-{index}-{key}": value for key, value in row.items()})
    return data


def opening_with_masks(stock, quantity: str = "10") -> OpeningStock:
    return create_opening_stock(
        actor=stock.keeper,
        warehouse=stock.main,
        lines=[OpeningLineInput(stock.mask.pk, D(quantity), D("0.50"))],
    )


# Navigation and access -----------------------------------------------------------------------------


def test_the_keeper_sees_the_three_stock_document_pages_in_the_sidebar_and_a_salesperson_does_not(
    company, stock, client_for
):
    page = text(client_for(stock.keeper).get(reverse("web:home")))
    for label, name in (("期初库存", "opening-list"), ("盘点", "stocktake-list"), ("调拨", "transfer-list")):
        assert f'href="{reverse("web:" + name)}"' in page and label in page
    assert reverse("web:opening-list") not in text(client_for(company.rep_a1).get(reverse("web:home")))


def test_people_without_the_permissions_are_refused_every_page(company, stock, client_for):
    doc = opening_with_masks(stock)
    client = client_for(company.rep_a1)
    for name in ("opening-list", "stocktake-list", "transfer-list", "opening-create", "stocktake-create"):
        assert client.get(reverse(f"web:{name}")).status_code == 403
    assert client.get(reverse("web:opening-detail", args=[doc.pk])).status_code == 403
    assert client.get(reverse("web:opening-edit", args=[doc.pk])).status_code == 403
    assert client.post(reverse("web:opening-submit", args=[doc.pk])).status_code == 403
    assert client.post(reverse("web:opening-reverse", args=[doc.pk]), {"reason": "x"}).status_code == 403
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_a_viewer_with_own_scope_sees_only_their_documents_and_gets_404_for_others(
    company, stock, client_for
):
    doc = opening_with_masks(stock)
    viewer = make_employee(company.purchasing, "purchaser", username="viewer")
    viewer.user.user_permissions.add(Permission.objects.get(codename="view_openingstock"))
    client = client_for(viewer)
    response = client.get(reverse("web:opening-list"))
    assert response.status_code == 200 and listed(response) == []
    assert client.get(reverse("web:opening-detail", args=[doc.pk])).status_code == 404
    assert client.get(reverse("web:opening-detail", args=[99999])).status_code == 404


# Lists ---------------------------------------------------------------------------------------------


def test_the_list_searches_by_number_filters_by_status_and_warehouse_and_pages(stock, client_for):
    client = client_for(stock.keeper)
    empty = client.get(reverse("web:opening-list"))
    assert "还没有期初库存单据。" in text(empty) and "新建期初库存" in text(empty)
    docs = [opening_with_masks(stock) for _ in range(21)]
    other = create_opening_stock(actor=stock.keeper, warehouse=stock.second, lines=[])
    first = client.get(reverse("web:opening-list"))
    assert len(listed(first)) == 20 and "共 22 条" in text(first)
    assert len(listed(client.get(reverse("web:opening-list"), {"page": 2}))) == 2
    assert listed(client.get(reverse("web:opening-list"), {"q": docs[3].number})) == [docs[3].number]
    assert listed(client.get(reverse("web:opening-list"), {"warehouse": stock.second.pk})) == [other.number]
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("1"), D("1"))])
    done = listed(client.get(reverse("web:opening-list"), {"status": "done"}))
    assert len(done) == 1 and done[0] not in {d.number for d in docs}
    nothing = client.get(reverse("web:opening-list"), {"status": "reversed"})
    assert listed(nothing) == [] and "没有符合条件的单据。" in text(nothing)
    by_number = listed(client.get(reverse("web:opening-list"), {"o": "number", "per_page": 50}))
    assert by_number == sorted(by_number)


def test_the_transfer_list_filters_by_either_warehouse(stock, client_for):
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("1"))])
    doc = post_transfer(stock, [TransferLineInput(stock.mask.pk, D("4"))])
    client = client_for(stock.keeper)
    assert listed(client.get(reverse("web:transfer-list"), {"warehouse": stock.second.pk})) == [doc.number]
    page = text(client.get(reverse("web:transfer-list")))
    assert "北京主仓" in page and "上海仓" in page and "已完成" in page


# Opening stock: form, workflow, approval in the inbox, reversal ------------------------------------


def test_creating_an_opening_stock_with_the_line_grid_saves_a_draft(stock, client_for):
    client = client_for(stock.keeper)
    assert client.get(reverse("web:opening-create")).status_code == 200
    response = client.post(
        reverse("web:opening-create"),
        grid(
            [
                {
                    "product": str(stock.syringe.pk),
                    "lot_number": "L1",
                    "expiry_date": "2028-06-30",
                    "quantity": "100",
                    "unit_cost": "4.5",
                },
                {"product": "", "lot_number": "", "quantity": "", "unit_cost": ""},  # a blank row is skipped
                {"product": str(stock.mask.pk), "quantity": "200", "unit_cost": "0.35"},
            ],
            warehouse=str(stock.main.pk),
            note="开账",
        ),
    )
    doc = OpeningStock.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:opening-detail", args=[doc.pk])
    assert [(ln.product.code, ln.lot_number, ln.quantity) for ln in doc.lines.order_by("id")] == [
        ("P001", "L1", D("100")),
        ("P002", "", D("200")),
    ]
    page = text(client.get(response.url))
    assert f"已保存期初库存 {doc.number}。" in page
    assert "¥450.00" in page and "¥70.00" in page and "¥520.00" in page
    assert 'data-testid="document-edit"' in page and 'data-testid="document-submit"' in page
    assert 'data-testid="document-reverse"' not in page


def test_a_refused_line_comes_back_with_the_error_on_its_cell_and_nothing_saved(stock, client_for):
    response = client_for(stock.keeper).post(
        reverse("web:opening-create"),
        grid(
            [
                {"product": "", "quantity": "", "unit_cost": ""},
                {"product": str(stock.syringe.pk), "lot_number": "", "quantity": "5", "unit_cost": "1"},
            ],
            warehouse=str(stock.main.pk),
        ),
    )
    assert response.status_code == 400
    rows = response.context["rows"]
    assert rows[1]["errors"] == {"lot_number": "第 1 行：商品 P001 实行批次管理，请填写批号。"}
    assert rows[1]["quantity"] == "5" and len(rows) == 2
    assert "明细有错误，请检查标红的单元格。" in text(response)
    assert not OpeningStock.objects.exists()


def test_a_form_error_in_a_cell_and_a_missing_warehouse_are_shown(stock, client_for):
    response = client_for(stock.keeper).post(
        reverse("web:opening-create"),
        grid([{"product": str(stock.mask.pk), "quantity": "abc", "unit_cost": "1"}], warehouse=""),
    )
    assert response.status_code == 400
    assert response.context["rows"][0]["errors"] == {"quantity": "输入一个数字。"}
    assert response.context["form"].errors["warehouse"] == ["该字段是必填项。"]


def test_editing_replaces_the_lines_and_a_submitted_document_cannot_be_edited(stock, client_for):
    doc = opening_with_masks(stock)
    client = client_for(stock.keeper)
    page = client.get(reverse("web:opening-edit", args=[doc.pk]))
    assert page.context["rows"] == [
        {
            "product": str(stock.mask.pk),
            "lot_number": "",
            "production_date": "",
            "expiry_date": "",
            "quantity": "10",
            "unit_cost": "0.5",
            "errors": {},
        }
    ]
    response = client.post(
        reverse("web:opening-edit", args=[doc.pk]),
        grid(
            [{"product": str(stock.mask.pk), "quantity": "12", "unit_cost": "0.5"}],
            warehouse=str(stock.main.pk),
        ),
    )
    assert response.status_code == 302
    assert list(doc.lines.values_list("quantity", flat=True)) == [D("12")]
    assert client.post(reverse("web:opening-submit", args=[doc.pk])).status_code == 302
    refused = client.get(reverse("web:opening-edit", args=[doc.pk]), follow=True)
    assert f"单据 {doc.number} 当前状态为“待审核”，不能修改。" in text(refused)
    page = text(client.get(reverse("web:opening-detail", args=[doc.pk])))
    assert 'data-testid="document-withdraw"' in page and 'data-testid="approval-link"' in page
    assert 'data-testid="document-edit"' not in page


def test_submitting_an_empty_document_is_refused_on_the_detail_page(stock, client_for):
    doc = create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[])
    response = client_for(stock.keeper).post(reverse("web:opening-submit", args=[doc.pk]))
    assert response.status_code == 400 and "请至少添加一行明细。" in text(response)
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_withdraw_and_cancel_from_the_detail_page(stock, client_for):
    doc = opening_with_masks(stock)
    client = client_for(stock.keeper)
    client.post(reverse("web:opening-submit", args=[doc.pk]))
    assert client.post(reverse("web:opening-withdraw", args=[doc.pk])).status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    response = client.post(reverse("web:opening-cancel", args=[doc.pk]), {"reason": "录重了"}, follow=True)
    assert f"已作废 {doc.number}。" in text(response)
    doc.refresh_from_db()
    assert doc.status == Status.CANCELLED
    assert 'data-testid="document-submit"' not in text(response)


def test_approving_in_the_inbox_posts_the_opening_stock_and_the_keeper_can_reverse_it(stock, client_for):
    doc = opening_with_masks(stock)
    keeper, boss = client_for(stock.keeper), client_for(stock.boss)
    keeper.post(reverse("web:opening-submit", args=[doc.pk]))
    request = ApprovalRequest.objects.get(document_type="opening_stock", object_id=doc.pk)
    inbox_page = text(boss.get(reverse("web:approval-detail", args=[request.pk])))
    link = reverse("web:opening-detail", args=[doc.pk])
    assert f'href="{link}" class="btn btn-sm" data-testid="open-document"' in inbox_page
    approved = boss.post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": "同意"})
    assert approved.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DONE and level(stock.mask, stock.main) == (D("10"), D("5.00"))

    page = text(keeper.get(reverse("web:opening-detail", args=[doc.pk])))
    assert "已完成" in page and 'data-testid="document-reverse"' in page
    moves = text(keeper.get(reverse("web:opening-detail", args=[doc.pk]), {"tab": "moves"}))
    assert "期初入库" in moves and "¥5.00" in moves
    steps = text(keeper.get(reverse("web:opening-detail", args=[doc.pk]), {"tab": "approvals"}))
    assert "审核通过" in steps and "同意" in steps and "孙经理" in steps
    history = text(keeper.get(reverse("web:opening-detail", args=[doc.pk]), {"tab": "history"}))
    assert "过账库存流水 1 条。" in history
    assert 'data-testid="attachments"' in text(
        keeper.get(reverse("web:opening-detail", args=[doc.pk]), {"tab": "attachments"})
    )

    no_reason = keeper.post(reverse("web:opening-reverse", args=[doc.pk]), {"reason": " "})
    assert no_reason.status_code == 400 and "请填写原因。" in text(no_reason)
    reversed_ = keeper.post(
        reverse("web:opening-reverse", args=[doc.pk]), {"reason": "数量录错"}, follow=True
    )
    reversal = StockReversal.objects.get()
    assert f"已红冲 {doc.number}，红冲单 {reversal.number}。" in text(reversed_)
    assert 'data-testid="reversed-by"' in text(reversed_) and 'data-testid="document-reverse"' not in text(
        reversed_
    )
    both = text(keeper.get(reverse("web:opening-detail", args=[doc.pk]), {"tab": "moves"}))
    assert both.count('<td class="text-nowrap">' + doc.number) == 1 and reversal.number in both
    detail = keeper.get(reverse("web:stock-reversal-detail", args=[reversal.pk]))
    assert detail.status_code == 200
    assert "数量录错" in text(detail) and doc.number in text(detail) and "红冲" in text(detail)
    assert level(stock.mask, stock.main) == (D("0"), D("0.00"))
    assert ledger_mismatches() == []


def test_a_reversal_refused_because_the_goods_are_gone_shows_the_reason_and_changes_nothing(
    stock, client_for
):
    doc = post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))])
    post_transfer(stock, [TransferLineInput(stock.mask.pk, D("4"))])
    response = client_for(stock.keeper).post(
        reverse("web:opening-reverse", args=[doc.pk]), {"reason": "录错"}
    )
    assert response.status_code == 400
    assert "货物已出库，不能红冲：P002 医用口罩 在 北京主仓 需要 10，现存 6。" in text(response)
    doc.refresh_from_db()
    assert doc.status == Status.DONE and not StockReversal.objects.exists()
    assert ledger_mismatches() == []


# Stocktake ------------------------------------------------------------------------------------------


def test_a_stocktake_starts_from_the_book_takes_the_counts_and_shows_the_differences(stock, client_for):
    post_opening(stock, [OpeningLineInput(stock.syringe.pk, D("100"), D("4.50"), "L1")])
    client = client_for(stock.keeper)
    assert client.get(reverse("web:stocktake-create")).status_code == 200
    started = client.post(
        reverse("web:stocktake-create"), {"warehouse": stock.main.pk, "category": "", "note": ""}
    )
    doc = Stocktake.objects.get()
    assert started.status_code == 302 and started.url == reverse("web:stocktake-edit", args=[doc.pk])
    form = client.get(started.url)
    line = doc.lines.get()
    assert form.context["rows"] == [
        {
            "product": str(stock.syringe.pk),
            "lot": str(line.lot_id),
            "lot_number": "L1",
            "counted_quantity": "100",
            "errors": {},
            "fixed": True,
            "book": "100",
            "product_label": "P001 一次性注射器",
            "lot_label": "L1",
            "expiry": "",
        }
    ]
    saved = client.post(
        started.url,
        grid(
            [
                {
                    "product": str(stock.syringe.pk),
                    "lot": str(line.lot_id),
                    "lot_number": "L1",
                    "counted_quantity": "98",
                },
                {"product": str(stock.mask.pk), "lot": "", "lot_number": "", "counted_quantity": "3"},
            ],
            note="月底盘点",
        ),
    )
    assert saved.status_code == 302
    page = text(client.get(reverse("web:stocktake-detail", args=[doc.pk])))
    assert "盘盈 1 行 · 盘亏 1 行" in page
    assert re.findall(r'data-testid="difference">([^<]+)<', page) == ["-2", "+3"]
    client.post(reverse("web:stocktake-submit", args=[doc.pk]))
    request = ApprovalRequest.objects.get(document_type="stocktake", object_id=doc.pk)
    client_for(stock.boss).post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": ""})
    assert sorted(StockMove.objects.filter(source_type="stocktake").values_list("quantity", flat=True)) == [
        D("-2"),
        D("3"),
    ]
    assert ledger_mismatches() == []


def test_a_refused_count_comes_back_on_its_row(stock, client_for):
    post_opening(stock, [OpeningLineInput(stock.syringe.pk, D("100"), D("4.50"), "L1")])
    client = client_for(stock.keeper)
    client.post(reverse("web:stocktake-create"), {"warehouse": stock.main.pk})
    doc = Stocktake.objects.get()
    response = client.post(
        reverse("web:stocktake-edit", args=[doc.pk]),
        grid([{"product": str(stock.syringe.pk), "lot": "", "lot_number": "", "counted_quantity": "1"}]),
    )
    assert response.status_code == 400
    assert response.context["rows"][0]["errors"] == {
        "lot_number": "第 1 行：商品 P001 实行批次管理，请填写批号。"
    }
    assert doc.lines.get().counted_quantity == D("100")


# Transfer -------------------------------------------------------------------------------------------


def test_the_transfer_form_offers_lots_with_stock_and_refuses_one_warehouse_twice(stock, client_for):
    post_opening(stock, [OpeningLineInput(stock.syringe.pk, D("100"), D("4.50"), "L1")])
    Lot.objects.create(product=stock.syringe, lot_number="EMPTY")
    client = client_for(stock.keeper)
    page = client.get(reverse("web:transfer-create"))
    lot = Lot.objects.get(lot_number="L1")
    assert page.context["lots"] == [
        {"id": lot.pk, "product": stock.syringe.pk, "warehouse": stock.main.pk, "label": "L1（现存 100）"}
    ]
    same = client.post(
        reverse("web:transfer-create"),
        grid(
            [{"product": str(stock.syringe.pk), "lot": str(lot.pk), "quantity": "5"}],
            warehouse=str(stock.main.pk),
            to_warehouse=str(stock.main.pk),
        ),
    )
    assert same.status_code == 400
    assert same.context["form"].errors["to_warehouse"] == ["调出和调入不能是同一个仓库。"]
    made = client.post(
        reverse("web:transfer-create"),
        grid(
            [{"product": str(stock.syringe.pk), "lot": str(lot.pk), "quantity": "5"}],
            warehouse=str(stock.main.pk),
            to_warehouse=str(stock.second.pk),
        ),
    )
    doc = Transfer.objects.get()
    assert made.status_code == 302
    page = text(client.get(reverse("web:transfer-detail", args=[doc.pk])))
    assert "北京主仓" in page and "上海仓" in page and "L1" in page
    edit = client.get(reverse("web:transfer-edit", args=[doc.pk]))
    assert edit.context["rows"] == [
        {"product": str(stock.syringe.pk), "lot": str(lot.pk), "quantity": "5", "errors": {}}
    ]
    client.post(reverse("web:transfer-submit", args=[doc.pk]))
    request = ApprovalRequest.objects.get(document_type="transfer", object_id=doc.pk)
    client_for(stock.boss).post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": ""})
    assert level(stock.syringe, stock.second) == (D("5"), D("22.50"))
    assert AuditEntry.objects.filter(
        content_type__model="transfer", object_id=str(doc.pk), action="post"
    ).exists()
    assert ledger_mismatches() == []


def test_an_approval_refused_for_lack_of_stock_is_shown_in_the_inbox(stock, client_for):
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))])
    client = client_for(stock.keeper)
    client.post(
        reverse("web:transfer-create"),
        grid(
            [{"product": str(stock.mask.pk), "lot": "", "quantity": "11"}],
            warehouse=str(stock.main.pk),
            to_warehouse=str(stock.second.pk),
        ),
    )
    doc = Transfer.objects.get()
    client.post(reverse("web:transfer-submit", args=[doc.pk]))
    request = ApprovalRequest.objects.get(document_type="transfer", object_id=doc.pk)
    response = client_for(stock.boss).post(reverse("web:approval-decide", args=[request.pk, "approve"]), {})
    assert response.status_code == 400
    assert "库存不足：P002 医用口罩 在 北京主仓 需要 11，可用 10。" in text(response)
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    assert ledger_mismatches() == []
