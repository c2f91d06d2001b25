"""导入 pages: the template, the upload and its check (every bad row and column, nothing imported),
the 导入 button of a clean file, the background job and its progress, and who may do it."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Product
from maoyi.crm.models import Contact, Customer, OwnershipAction, OwnershipChange
from maoyi.purchasing.models import Supplier
from maoyi.web.imports import jobs
from tests.catalog.builders import make_category, make_product
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.imports.conftest import xlsx
from tests.purchasing.builders import make_supplier

CUSTOMER_HEADERS = ["客户名称", "客户类型", "客户等级", "电话", "税号", "负责人"]
PRODUCT_HEADERS = ["商品编码", "商品名称", "单位", "分类", "批次管理", "采购价", "销售价", "最低售价"]
SUPPLIER_HEADERS = ["供应商编码", "供应商名称", "币种", "税号", "采购负责人"]


@pytest.fixture(autouse=True)
def _permissions(company) -> None:
    grant_customer_permissions()


def upload(client: Client, slug: str, file: Any) -> Any:
    """Upload a file; the job runs inline, so the page it redirects to shows the outcome."""
    response = client.post(reverse("web:import-page", args=[slug]), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def job_id(response: Any) -> str:
    return response.request["PATH_INFO"].rstrip("/").split("/")[-1]


def problems(response: Any) -> list[str]:
    import re

    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r'data-testid="import-problem"[^>]*>(.*?)</li>', response.content.decode())
    ]


@pytest.mark.django_db
def test_the_urls_are_under_imports() -> None:
    assert reverse("web:import-index") == "/imports/"
    assert reverse("web:import-page", args=["customers"]) == "/imports/customers/"
    assert reverse("web:import-template", args=["products"]) == "/imports/products/template/"
    assert reverse("web:import-job", args=["abc"]) == "/imports/jobs/abc/"
    assert reverse("web:import-progress", args=["abc"]) == "/imports/jobs/abc/progress/"
    assert reverse("web:import-confirm", args=["abc"]) == "/imports/jobs/abc/confirm/"
    for slug in (
        "customers",
        "contacts",
        "products",
        "suppliers",
        "opening-stock",
        "receivables",
        "payables",
    ):
        assert reverse(f"web:import-{slug}") == f"/imports/{slug}/"


def test_the_index_lists_the_kinds_the_user_may_import(company, client_for) -> None:
    html = client_for(company.admin).get("/imports/").content.decode()
    for slug in ("customers", "contacts", "products", "suppliers"):
        assert f'data-testid="import-kind-{slug}"' in html
    html = client_for(company.rep_a1).get("/imports/").content.decode()
    assert 'data-testid="import-kind-customers"' in html
    assert 'data-testid="import-kind-products"' not in html


@pytest.mark.parametrize(
    ("slug", "headers"),
    [
        (
            "customers",
            [
                "客户名称",
                "客户类型",
                "客户等级",
                "电话",
                "税号",
                "地址",
                "客户来源",
                "标签",
                "备注",
                "信用额度",
                "负责人",
            ],
        ),
        ("products", ["商品编码", "商品名称", "规格型号", "单位", "分类", "品牌"]),
        ("suppliers", ["供应商编码", "供应商名称", "简称", "币种"]),
        ("contacts", ["客户名称", "姓名", "部门", "职务", "手机"]),
    ],
)
def test_the_template_downloads_with_chinese_headers(company, client_for, slug, headers) -> None:
    response = client_for(company.admin).get(reverse("web:import-template", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    book = load_workbook(io.BytesIO(response.content))
    first = [c.value for c in book.worksheets[0][1]]
    assert first[: len(headers)] == headers
    notes = book.worksheets[1]
    assert notes.title == "填写说明"
    assert [c.value for c in notes[1]] == ["列名", "是否必填", "说明", "示例"]


def test_the_page_offers_the_template_and_the_upload(company, client_for) -> None:
    response = client_for(company.manager_a).get("/imports/customers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-form"' in html and 'enctype="multipart/form-data"' in html
    assert reverse("web:import-template", args=["customers"]) in html
    assert "<strong>客户名称</strong>" in html
    assert "每个文件最多 50000 行、20 MB" in html


def test_a_clean_customer_file_imports_every_row(company, client_for, inline) -> None:
    client = client_for(company.manager_a)
    page = upload(
        client,
        "customers",
        xlsx(
            CUSTOMER_HEADERS,
            ["北京协和医院", "终端客户", "A", "010-69156114", "", ""],
            ["上海瑞金医院", "终端客户", "", "", "", "rep_a1"],
            ["广州医药有限公司", "分销商", "C", "", "91440000MA01234567", "张伟"],
        ),
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="import-clean"' in html and html.count('data-testid="import-row"') == 3
    assert Customer.objects.count() == 0  # the check keeps nothing
    done = client.get(client.post(reverse("web:import-confirm", args=[job_id(page)]))["Location"])
    assert 'data-testid="import-done"' in done.content.decode()
    assert "已导入 3 个客户。" in done.content.decode()
    owners = dict(Customer.objects.values_list("name", "owner__name"))
    assert owners == {"北京协和医院": "李经理", "上海瑞金医院": "张伟", "广州医药有限公司": "张伟"}
    ruijin = Customer.objects.get(name="上海瑞金医院")
    assert ruijin.department == company.team_a and ruijin.level == "b" and ruijin.name_key
    assert OwnershipChange.objects.filter(action=OwnershipAction.CREATE).count() == 3
    assert (
        AuditEntry.objects.filter(
            action="create", object_id=str(ruijin.pk), object_repr="上海瑞金医院"
        ).count()
        == 1
    )


def test_a_file_with_errors_imports_nothing_and_lists_every_row_and_column(
    company, client_for, inline
) -> None:
    make_customer(company.rep_b1, "北京协和医院", phone="010-69156114")
    client = client_for(company.manager_a)
    page = upload(
        client,
        "customers",
        xlsx(
            CUSTOMER_HEADERS,
            ["上海瑞金医院", "终端客户", "", "", "", ""],
            ["", "医院", "Z", "", "123", ""],
            ["北京 协和医院", "终端客户", "", "", "", ""],
            ["上海瑞金医院有限公司", "终端客户", "", "021-1", "", "钱丽"],
            ["天津医院", "终端客户", "", "010 6915 6114", "", "无名氏"],
        ),
    )
    assert page.status_code == 400
    assert problems(page) == [
        "第 3 行 ·「客户名称」· 请填写客户名称。",
        "第 3 行 ·「客户类型」· 客户类型应为：终端客户、医疗系统、分销商、代理商。",
        "第 3 行 ·「客户等级」· 客户等级应为 A、B、C 或：重点客户、普通客户、一般客户。",
        "第 3 行 ·「税号」· 税号应为 15 到 20 位字母或数字。",
        "第 4 行 ·「客户名称」· 客户已存在（负责人：钱丽），请联系负责人或主管。",
        "第 5 行 ·「客户名称」· 与第 2 行是同一个客户。",
        "第 5 行 ·「负责人」· 没有找到员工“钱丽”（须是你数据范围内的在职员工）。",
        "第 6 行 ·「电话」· 客户已存在（负责人：钱丽），请联系负责人或主管。",
        "第 6 行 ·「负责人」· 没有找到员工“无名氏”（须是你数据范围内的在职员工）。",
    ]
    html = page.content.decode()
    assert "发现 9 处错误，没有导入任何数据。" in html
    assert 'data-testid="import-confirm"' not in html and 'data-testid="import-form"' in html
    assert Customer.objects.count() == 1
    # a forged confirmation of the refused job imports nothing either
    client.post(reverse("web:import-confirm", args=[job_id(page)]))
    assert Customer.objects.count() == 1


def test_a_file_of_the_wrong_kind_is_refused_on_the_page(company, client_for, inline) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = upload(client_for(company.admin), "customers", SimpleUploadedFile("客户.xls", b"\xd0\xcf\x11\xe0"))
    assert page.status_code == 400
    assert "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传。" in page.content.decode()
    missing = upload(client_for(company.admin), "customers", xlsx(["客户名称", "类型"], ["甲", "终端客户"]))
    assert problems(missing) == [
        "第 1 行 ·「客户类型」· 缺少此列，请使用导入模板。",
        "第 1 行 ·「类型」· 无法识别的列，请使用导入模板中的列名。",
    ]


def test_products_import_with_their_category_and_refuse_unknown_references(
    company, client_for, inline
) -> None:
    make_category("注射器")
    make_product("MD-001", "已有商品")
    client = client_for(company.admin)
    bad = upload(
        client,
        "products",
        xlsx(
            PRODUCT_HEADERS,
            ["MD-002", "注射器 5ml", "支", "注射器", "是", "0.35", "0.60", "0.50"],
            ["md-001", "重复商品", "支", "", "", "", "", ""],
            ["MD-002", "同号商品", "支", "", "", "", "", ""],
            ["MD-003", "", "", "手套", "也许", "-1", "abc", ""],
            ["MD-004", "口罩", "只", "", "", "1", "2", "3"],
        ),
    )
    assert problems(bad) == [
        "第 3 行 ·「商品编码」· 商品编码“md-001”已存在。",
        "第 4 行 ·「商品编码」· 与第 2 行的商品编码相同。",
        "第 5 行 ·「分类」· 没有找到分类“手套”。",
        "第 5 行 ·「批次管理」· 请填写“是”或“否”。",
        "第 5 行 ·「采购价」· 采购价不能为负数。",
        "第 5 行 ·「销售价」· 销售价应为数字。",
        "第 6 行 ·「最低售价」· 最低售价不能高于销售价。",
    ]
    assert Product.objects.count() == 1
    page = upload(
        client,
        "products",
        xlsx(PRODUCT_HEADERS, ["MD-002", "注射器 5ml", "支", "注射器", "否", "0.35", "0.60", "0.50"]),
    )
    client.post(reverse("web:import-confirm", args=[job_id(page)]))
    product = Product.objects.get(code="MD-002")
    assert product.category is not None and product.category.name == "注射器"
    assert (product.lot_tracked, product.sale_price, product.min_sale_price) == (
        False,
        Decimal("0.6"),
        Decimal("0.5"),
    )


def test_suppliers_import_and_refuse_duplicates_in_the_file_and_the_database(
    company, client_for, inline
) -> None:
    make_supplier("上海康德莱企业发展集团股份有限公司", code="GYS9001")
    client = client_for(company.admin)
    bad = upload(
        client,
        "suppliers",
        xlsx(
            SUPPLIER_HEADERS,
            ["", "山东威高集团医用高分子制品股份有限公司", "人民币", "91370000123456789X", ""],
            ["", "山东威高集团 医用高分子制品股份有限公司", "", "91370000123456789X", ""],
            ["", "上海康德莱企业发展集团", "英镑", "", "没人"],
        ),
    )
    assert problems(bad) == [
        "第 3 行 ·「供应商名称」· 与第 2 行是同一个供应商。",
        "第 3 行 ·「税号」· 与第 2 行的税号相同。",
        "第 4 行 ·「币种」· 币种应为：人民币、美元、欧元、日元、港币。",
        "第 4 行 ·「采购负责人」· 没有找到在职员工“没人”。",
    ]
    bad = upload(client, "suppliers", xlsx(SUPPLIER_HEADERS, ["", "上海康德莱企业发展集团", "", "", "马丽"]))
    assert problems(bad) == [
        "第 2 行 ·「供应商名称」· 已有同名供应商：GYS9001 上海康德莱企业发展集团股份有限公司。"
    ]
    page = upload(
        client,
        "suppliers",
        xlsx(SUPPLIER_HEADERS, ["", "山东威高集团", "USD", "", "马丽"], ["WG-2", "威海洁瑞", "", "", ""]),
    )
    client.post(reverse("web:import-confirm", args=[job_id(page)]))
    assert dict(Supplier.objects.values_list("name", "currency")) == {
        "上海康德莱企业发展集团股份有限公司": "CNY",
        "山东威高集团": "USD",
        "威海洁瑞": "CNY",
    }
    assert Supplier.objects.get(name="山东威高集团").buyer == company.purchaser


def test_contacts_import_for_customers_the_user_may_change(company, client_for, inline) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_b1, "天津医院")
    headers = ["客户名称", "姓名", "手机", "主要联系人"]
    client = client_for(company.rep_a1)
    bad = upload(
        client, "contacts", xlsx(headers, ["北京协和医院", "王主任", "abc", ""], ["天津医院", "李", "", ""])
    )
    assert problems(bad) == [
        "第 2 行 ·「手机」· 手机号只能包含数字（7 到 15 位）。",
        "第 3 行 ·「客户名称」· 没有找到客户“天津医院”（须是你可以查看的客户）。",
    ]
    page = upload(client, "contacts", xlsx(headers, ["北京协和医院 ", "王主任", "138 0013 8000", "是"]))
    client.post(reverse("web:import-confirm", args=[job_id(page)]))
    contact = Contact.objects.get()
    assert (contact.name, contact.mobile, contact.is_primary) == ("王主任", "13800138000", True)


@pytest.mark.parametrize(
    ("who", "slug"),
    [
        ("purchaser", "customers"),
        ("rep_a1", "products"),
        ("rep_a1", "suppliers"),
        ("finance_clerk", "contacts"),
    ],
)
def test_who_may_not_import_gets_403_everywhere(company, client_for, inline, who, slug) -> None:
    client = client_for(getattr(company, who))
    assert client.get(reverse("web:import-page", args=[slug])).status_code == 403
    assert client.get(reverse("web:import-template", args=[slug])).status_code == 403
    response = client.post(reverse("web:import-page", args=[slug]), {"file": xlsx(["客户名称"], ["甲"])})
    assert response.status_code == 403


def test_a_job_is_its_uploaders_only(company, client_for, inline) -> None:
    page = upload(client_for(company.manager_a), "customers", xlsx(CUSTOMER_HEADERS, ["甲医院", "终端客户"]))
    other = client_for(company.rep_a1)
    assert other.get(reverse("web:import-job", args=[job_id(page)])).status_code == 404
    assert other.post(reverse("web:import-confirm", args=[job_id(page)])).status_code == 404
    assert other.get(reverse("web:import-job", args=["nope"])).status_code == 404
    assert Customer.objects.count() == 0


def test_the_page_renders_in_english(company, client_for, inline) -> None:
    client = client_for(company.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get("/imports/customers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "客户名称" in html  # the column names are the file format: they stay in Chinese


@pytest.mark.django_db(transaction=True)
def test_the_background_job_reaches_100_percent_and_shows_its_result(
    company, client_for, tmp_path, settings
) -> None:
    """The real thing: the check and the import run in threads while the page polls."""
    settings.DATA_DIR = tmp_path
    jobs._store = None
    try:
        client = client_for(company.manager_a)
        rows = [[f"第{i}医院", "终端客户", "", "", "", ""] for i in range(1, 301)]
        response = client.post("/imports/customers/", {"file": xlsx(CUSTOMER_HEADERS, *rows)})
        job = job_id(client.get(response["Location"]))
        progress = reverse("web:import-progress", args=[job])

        def wait() -> Any:
            for _ in range(300):
                polled = client.get(progress)
                if polled.get("HX-Refresh") == "true":
                    return polled
                assert 'hx-trigger="every 1s"' in polled.content.decode()
                time.sleep(0.1)
            raise AssertionError("the job did not finish")

        assert 'data-percent="100"' in wait().content.decode()
        page = client.get(reverse("web:import-job", args=[job]))
        assert 'data-testid="import-clean"' in page.content.decode()
        client.post(reverse("web:import-confirm", args=[job]))
        assert 'data-status="done"' in wait().content.decode()
        done = client.get(reverse("web:import-job", args=[job])).content.decode()
        assert "已导入 300 个客户。" in done
        assert Customer.objects.filter(owner=company.manager_a).count() == 300
    finally:
        jobs._store = None
