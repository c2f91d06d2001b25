"""导入公海客户 page: the template download, the upload and its preview (every row, every problem),
the signed confirmation that imports, and who may do it."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from maoyi.crm.models import Customer, OwnershipAction, OwnershipChange
from maoyi.web.crm import pool_import as page
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db

URL = "/crm/pool/import/"
HEADERS = ["客户名称", "客户类型", "客户等级", "电话", "税号", "地址", "客户来源", "标签", "备注", "信用额度"]


@pytest.fixture(autouse=True)
def _permissions(company) -> None:
    grant_customer_permissions()


def xlsx(*rows: list[Any], headers: list[str] = HEADERS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("客户.xlsx", out.getvalue())


def token_of(response: Any) -> str:
    found = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert found is not None
    return found.group(1)


def test_the_urls_are_where_the_task_says() -> None:
    assert reverse("web:pool-import") == URL
    assert reverse("web:pool-import-template") == URL + "template/"


def test_the_page_offers_the_template_and_the_upload(company, client_for) -> None:
    response = client_for(company.admin).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="pool-import-form"' in html and 'enctype="multipart/form-data"' in html
    assert reverse("web:pool-import-template") in html
    assert "<strong>客户名称</strong>" in html and "<strong>客户类型</strong>" in html
    assert "每个文件最多 5000 行、5 MB" in html
    assert client_for(company.manager_a).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["rep_a1", "assistant_a", "purchaser", "finance_clerk"])
def test_who_may_not_import_gets_403_everywhere(company, client_for, who) -> None:
    client = client_for(getattr(company, who))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("web:pool-import-template")).status_code == 403
    assert client.post(URL, {"file": xlsx(["甲", "终端客户"])}).status_code == 403
    assert Customer.objects.count() == 0


def test_the_template_downloads_as_xlsx_with_the_columns(company, client_for) -> None:
    response = client_for(company.admin).get(reverse("web:pool-import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = "%E5%85%AC%E6%B5%B7%E5%AE%A2%E6%88%B7%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"  # 公海客户导入模板
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{name}"
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    assert book.sheetnames[1] == "填写说明"


def test_upload_preview_then_import(company, client_for) -> None:
    client = client_for(company.admin)
    upload = xlsx(
        ["北京协和医院", "终端客户", "A", "010-69156114", "", "北京市东城区", "展会", "三甲,重点", "", 50000],
        ["华南代理", "代理商"],
    )
    preview = client.post(URL, {"file": upload})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert html.count('data-testid="pool-import-row"') == 2
    assert "北京协和医院" in html and "重点客户" in html and "010-69156114" in html and "50,000.00" in html
    assert "导入 2 个客户" in html and 'data-testid="pool-import-problems"' not in html
    assert 'data-testid="pool-import-form"' not in html  # the file is not asked for again
    assert Customer.objects.count() == 0  # a preview writes nothing

    done = client.post(URL, {"token": token_of(preview)})
    assert done.status_code == 302 and done.url == reverse("web:pool-list")
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["已导入 2 个客户到公海。"]
    customers = Customer.objects.order_by("pk")
    assert [(c.name, c.owner, c.department) for c in customers] == [
        ("北京协和医院", None, None),
        ("华南代理", None, None),
    ]
    assert OwnershipChange.objects.filter(action=OwnershipAction.IMPORT, actor=company.admin).count() == 2
    # The same confirmation again: every row is now a duplicate, so nothing more is imported.
    again = client.post(URL, {"token": token_of(preview)})
    assert again.status_code == 400
    assert "第 2 行 ·「客户名称」· 客户已存在（负责人：公海），请联系负责人或主管。" in again.content.decode()
    assert Customer.objects.count() == 2


def test_a_csv_saved_by_chinese_excel_is_read(company, client_for) -> None:
    content = "客户名称,客户类型,电话\r\n上海瑞金医院,医疗系统,021-64370045\r\n".encode("gb18030")
    preview = client_for(company.manager_a).post(URL, {"file": SimpleUploadedFile("客户.csv", content)})
    assert preview.status_code == 200
    assert "上海瑞金医院" in preview.content.decode() and "医疗系统" in preview.content.decode()
    done = client_for(company.manager_a).post(URL, {"token": token_of(preview)})
    assert done.status_code == 302
    assert Customer.objects.get().name == "上海瑞金医院"


def test_every_problem_is_listed_and_nothing_can_be_imported(company, client_for) -> None:
    make_customer(company.rep_b1, "已有的医院")
    upload = xlsx(
        ["好医院", "终端客户"],
        ["", "医院"],
        ["已有的医院有限公司", "终端客户", "", "", "", "", "", "", "", -5],
    )
    response = client_for(company.admin).post(URL, {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    problems = re.findall(r'data-testid="pool-import-problem">([^<]+)<', html)
    assert problems == [
        "第 3 行 ·「客户名称」· 请填写客户名称。",
        "第 3 行 ·「客户类型」· 客户类型应为：终端客户、医疗系统、分销商、代理商。",
        "第 4 行 ·「客户名称」· 客户已存在（负责人：钱丽），请联系负责人或主管。",
        "第 4 行 ·「信用额度」· 信用额度不能为负数。",
    ]
    assert "发现 4 处错误，没有导入任何客户。" in html
    assert html.count('data-testid="pool-import-row"') == 3 and html.count("table-danger") == 2
    assert 'name="token"' not in html and 'data-testid="pool-import-form"' in html
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("客户.txt", b"x"), "请上传 .xlsx 或 .csv 文件。"),
        (SimpleUploadedFile("客户.xlsx", b"PK\x03\x04junk"), "无法读取此 Excel 文件，请确认是 .xlsx 格式。"),
        (
            SimpleUploadedFile("客户.csv", "客户名称,客户类型\n".encode()),
            "文件中没有客户：第 1 行是列名，从第 2 行起每行填写一个客户。",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(company, client_for, upload, message) -> None:
    response = client_for(company.admin).post(URL, {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Customer.objects.count() == 0


def test_missing_columns_are_named(company, client_for) -> None:
    response = client_for(company.admin).post(URL, {"file": xlsx(["甲"], headers=["名称"])})
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 行 ·「客户名称」· 缺少此列，请使用导入模板。" in html
    assert "第 1 行 ·「名称」· 无法识别的列，请使用导入模板中的列名。" in html


def test_a_file_too_large_is_refused(company, client_for, monkeypatch) -> None:
    monkeypatch.setattr("maoyi.crm.services.pool_import.MAX_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("客户.csv", b"a\n" + b"x" * (1024 * 1024))
    response = client_for(company.admin).post(URL, {"file": big})
    assert response.status_code == 400 and "文件太大：最大 1 MB。" in response.content.decode()


def test_without_a_file_the_form_says_so(company, client_for) -> None:
    response = client_for(company.admin).post(URL, {})
    assert response.status_code == 400 and 'data-testid="pool-import-form"' in response.content.decode()


def test_a_long_preview_lists_the_first_rows_and_says_how_many_more(company, client_for, monkeypatch) -> None:
    monkeypatch.setattr(page, "PREVIEW_ROWS", 1)
    response = client_for(company.admin).post(
        URL, {"file": xlsx(["甲", "终端客户"], ["乙", "终端客户"], ["丙", "终端客户"])}
    )
    html = response.content.decode()
    assert html.count('data-testid="pool-import-row"') == 1 and "另有 2 行未列出。" in html
    assert "导入 3 个客户" in html


def test_a_forged_expired_or_borrowed_confirmation_imports_nothing(company, client_for, monkeypatch) -> None:
    admin = client_for(company.admin)
    token = token_of(admin.post(URL, {"file": xlsx(["甲", "终端客户"])}))
    expired_at = {"age": page.TOKEN_AGE}

    def post(client: Client, value: str) -> Any:
        response = client.post(URL, {"token": value})
        assert response.status_code == 400
        assert "预览已失效，请重新上传文件。" in response.content.decode()
        assert Customer.objects.count() == 0
        return response

    forged = token.replace(token[5], "A" if token[5] != "A" else "B", 1)
    post(admin, forged)
    post(admin, "")
    post(client_for(company.manager_a), token)  # another user's preview
    monkeypatch.setattr(page, "TOKEN_AGE", -1)
    post(admin, token)
    monkeypatch.setattr(page, "TOKEN_AGE", expired_at["age"])
    assert admin.post(URL, {"token": token}).status_code == 302
    assert Customer.objects.get().name == "甲"
