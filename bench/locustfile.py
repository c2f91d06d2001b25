"""The load benchmark's simulated people (bench/load.py runs this file; see bench/README.md, "Load").

Every simulated user logs in through the real login page (CSRF token from the form, session cookie)
as a distinct employee of its role, then works the pages the way that person does, reading ids and
form fields from the HTML it was served (as a browser would) and sending the htmx partial requests
the pages send (the order form's availability panel). Requests are named (`name=`) so that URLs
with ids group into one row per request type.

    40 salespeople  customer list, search by name and by pinyin initials, open a customer, log an
                    activity (跟进), order list, create a sales order with 1–3 lines and submit it
     5 managers     approval inbox, open a waiting order's approval and approve it
     3 logistics    待发货 list, open the shipping form of an approved order and post it
     2 finance      receivables list, open a receivable, record a receipt allocated to it

Environment (set by bench/load.py): LOAD_PLAN (JSON: logins per role, password, product ids),
LOAD_WAIT ("0": no think time, for the saturation run; else "min,max" seconds, default "1,5"),
LOAD_COUNTERS (where the business counters and refusals are written when locust quits).

A business refusal the page shows properly (stock short, credit limit, a receivable someone else
has just settled) is marked a success in locust's figures and counted in LOAD_COUNTERS' "refusals";
anything else unexpected (5xx, a 400 without its message, a missing form) is a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from itertools import count
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN: dict[str, Any] = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_WAIT = os.environ.get("LOAD_WAIT", "1,5")
if _WAIT.strip() in ("0", "0,0"):
    WAIT = constant(0)
else:
    _low, _high = (float(x) for x in _WAIT.split(","))
    WAIT = between(_low, _high)

# The measured window starts when every user has logged in (the login storm is reported apart) and
# lasts LOAD_SECONDS; then locust quits.
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "0"))
ALL_IN = Event()
LOGGED_IN: list[str] = []
LOGIN_STATS: dict[str, dict[str, float]] = {}
WINDOW: dict[str, float] = {}  # epoch seconds the measured window started
COUNTERS: Counter[str] = Counter()  # business steps done, as the clients saw them
REFUSALS: Counter[str] = Counter()  # business refusals shown properly on the page
_NEXT = {role: count() for role in ("reps", "managers", "logistics", "finance")}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX_HEADERS = {"HX-Request": "true", "HX-Current-URL": "", **FORM_HEADERS}


@events.quitting.add_listener
def _write_counters(environment: Any, **_kw: Any) -> None:
    path = os.environ.get("LOAD_COUNTERS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "counters": dict(COUNTERS),
                    "refusals": dict(REFUSALS),
                    "logins": LOGIN_STATS,
                    "window": WINDOW,
                },
                out,
                ensure_ascii=False,
            )


def _all_logged_in(environment: Any) -> None:
    """Keep the login storm's figures, reset the statistics and start the measured window."""
    for entry in environment.stats.entries.values():
        if entry.name in ("login page", "login", "home"):
            LOGIN_STATS[f"{entry.method} {entry.name}"] = {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
                "max": entry.max_response_time,
            }
    environment.stats.reset_all()
    WINDOW["start"] = time.time()
    ALL_IN.set()
    if SECONDS and environment.runner is not None:
        gevent.spawn_later(SECONDS, environment.runner.quit)


# HTML ------------------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page with what a browser would submit by default: inputs' values (checked
    boxes only), each select's selected option (or its first), textareas' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _fields(self) -> dict[str, str] | None:
        return self.forms[-1]["fields"] if self.forms and self.forms[-1]["open"] else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"attrs": a, "fields": {}, "options": {}, "open": True})
            return
        fields = self._fields()
        if fields is None:
            return
        name = a.get("name", "")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            fields[name] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, None
            self.forms[-1]["options"][name] = []
        elif tag == "option" and self._select is not None and "disabled" not in a:
            value = a.get("value", "")
            self.forms[-1]["options"][self._select].append(value)
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_chosen = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        fields = self._fields()
        if tag == "form" and self.forms:
            self.forms[-1]["open"] = False
        elif fields is None:
            return
        elif tag == "select" and self._select is not None:
            chosen = self._select_chosen if self._select_chosen is not None else self._select_first
            fields[self._select] = chosen or ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            fields[self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def page_forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_where(html: str, **attrs: str) -> dict[str, Any] | None:
    """The first form whose attributes contain the given substrings (e.g. action="/login/")."""
    for form in page_forms(html):
        if all(value in form["attrs"].get(key.replace("_", "-"), "") for key, value in attrs.items()):
            return form
    return None


def hrefs(html: str, testid: str) -> list[str]:
    """The links of a page carrying data-testid=<testid> (in either attribute order)."""
    found = re.findall(rf'<a href="([^"]+)"[^>]*data-testid="{testid}"', html)
    return [unescape(h) for h in found]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


def shown_error(html: str) -> str:
    """The first error message a page shows (its alert or a field's), tags stripped."""
    found = re.search(r'class="alert alert-danger"[^>]*>(.*?)</div>\s*(?:</div>|$)', html, re.S)
    if found is None:
        found = re.search(r'class="(?:invalid-feedback|text-danger small)[^"]*"[^>]*>(.*?)</div>', html, re.S)
    if found is None:
        return ""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def refusal_kind(html: str) -> str:
    """The business refusal a 400 page shows: a known kind, "shown: <message>" for another message
    shown on the page, or "" when the page shows none (a failure)."""
    if "库存不足" in html:
        return "stock_short"
    if "信用额度" in html:
        return "credit_limit"
    if "未结金额" in html and "超出" in html:
        return "over_allocation"  # a receivable settled by a colleague meanwhile
    message = shown_error(html)
    return f"shown: {message[:80]}" if message else ""


# People ----------------------------------------------------------------------------------------------


class Person(FastHttpUser):
    """A logged-in employee of `role` (a key of the plan's logins)."""

    abstract = True
    role = ""
    wait_time = WAIT
    network_timeout = 120.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        logins = PLAN["logins"][self.role]
        self.username = logins[next(_NEXT[self.role]) % len(logins)]
        self.rng = random.Random(f"{self.username}-{id(self)}")
        self.login()
        LOGGED_IN.append(self.username)
        if len(LOGGED_IN) >= USERS and not ALL_IN.is_set():
            _all_logged_in(self.environment)
        ALL_IN.wait()

    # helpers

    def page(self, path: str, name: str, *, htmx: bool = False) -> str | None:
        headers = {"HX-Request": "true"} if htmx else None
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on GET {path}")
                return None
            return response.text or ""

    def post(
        self,
        path: str,
        data: dict[str, str],
        name: str,
        *,
        expect: int = 302,
        htmx: bool = False,
    ) -> tuple[int, str, str]:
        """POST a form without following the redirect; returns (status, body, Location). A 400
        showing a known business refusal is a success in the figures and counted as a refusal."""
        headers = dict(HTMX_HEADERS if htmx else FORM_HEADERS)
        with self.client.post(
            path,
            data=urlencode(data),
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            body = response.text or ""
            location = response.headers.get("Location", "") or response.headers.get("location", "")
            if response.status_code == expect:
                return response.status_code, body, location
            if response.status_code == 400:
                kind = refusal_kind(body)
                if kind:
                    REFUSALS[f"{name}: {kind}"] += 1
                    response.success()
                    return 400, body, ""
            response.failure(f"{response.status_code} on POST {path} (expected {expect})")
            return response.status_code, body, location

    def login(self) -> None:
        html = self.page("/login/", "login page")
        if html is None:
            return
        data = {
            "csrfmiddlewaretoken": csrf_of(html),
            "username": self.username,
            "password": PLAN["password"],
        }
        status, _body, location = self.post("/login/", data, "login")
        if status == 302:
            self.page(location or "/", "home")


class Salesperson(Person):
    weight = 40
    role = "reps"

    def customers(self) -> list[str]:
        pages = ("", "?page=2", "?o=-last_activity_at", "?level=b")
        html = self.page("/crm/customers/" + self.rng.choice(pages), "customer list")
        return hrefs(html, "customer-link") if html else []

    @task(4)
    def browse_and_search(self) -> None:
        links = self.customers()
        term = self.rng.choice(PLAN["searches"][self.username])
        by_pinyin = self.rng.random() < 0.5
        query = term["pinyin"] if by_pinyin else term["name"]
        html = self.page(
            "/crm/customers/?" + urlencode({"q": query}),
            "customer search (pinyin)" if by_pinyin else "customer search (name)",
        )
        found = hrefs(html, "customer-link") if html else []
        chosen = self.rng.choice(found or links or [""])
        if chosen:
            self.page(chosen, "customer detail")

    @task(2)
    def log_activity(self) -> None:
        links = self.customers()
        if not links:
            return
        customer = self.rng.choice(links)
        html = self.page(customer + "?tab=activities", "customer detail (跟进 tab)")
        if html is None:
            return
        form = form_where(html, action="/activities/new/")
        if form is None:
            self.client.request_event.fire(
                request_type="CHECK",
                name="activity form present",
                response_time=0,
                response_length=0,
                exception=AssertionError("no activity form on the customer's 跟进 tab"),
                context={},
            )
            return
        data = dict(form["fields"])
        data.update(
            {
                "kind": self.rng.choice(form["options"].get("kind") or ["call"]),
                "summary": self.rng.choice(
                    (
                        "电话沟通下季度采购计划，对方要求报价单。",
                        "拜访设备科王主任，介绍新到的留置针，约下周送样。",
                        "微信确认上批货已签收，回款预计月底。",
                        "客户反映口罩到货包装破损两箱，已安排补发。",
                    )
                ),
                "next_follow_up": "",
            }
        )
        status, _body, location = self.post(form["attrs"]["action"], data, "log activity (跟进)")
        if status == 302:
            COUNTERS["activities"] += 1
            self.page(location, "customer detail (跟进 tab)")

    @task(2)
    def order_list(self) -> None:
        html = self.page(
            "/sales/orders/" + self.rng.choice(("", "?status=submitted", "?page=2")), "order list"
        )
        links = hrefs(html, "order-link") if html else []
        if links:
            self.page(self.rng.choice(links), "order detail")

    @task(2)
    def write_order(self) -> None:
        html = self.page("/sales/orders/new/", "order form")
        if html is None:
            return
        form = form_where(html, data_testid="order-form")
        customers = [c for c in (form["options"].get("customer", []) if form else []) if c]
        if form is None or not customers:
            return
        header = dict(form["fields"])
        header.update(
            {
                "customer": self.rng.choice(customers),
                "warehouse": str(PLAN["warehouse"]),
                "receiver": "王主任",
                "receiver_phone": "13912345678",
            }
        )
        lines: list[dict[str, str]] = []

        def grid() -> dict[str, str]:
            data = {
                "lines-TOTAL_FORMS": str(len(lines)),
                "lines-INITIAL_FORMS": "0",
                "lines-MIN_NUM_FORMS": "0",
                "lines-MAX_NUM_FORMS": "1000",
                "installments-TOTAL_FORMS": "0",
                "installments-INITIAL_FORMS": "0",
                "installments-MIN_NUM_FORMS": "0",
                "installments-MAX_NUM_FORMS": "1000",
            }
            for i, line in enumerate(lines):
                data.update({f"lines-{i}-{k}": v for k, v in line.items()})
            return {**header, **data}

        # htmx: the summary panel loads with the form, then refreshes as each line is typed.
        self.post("/sales/orders/availability/", grid(), "order availability (htmx)", expect=200, htmx=True)
        products = self.rng.sample(PLAN["products"], self.rng.randint(1, 3))
        if PLAN.get("scarce") and self.rng.random() < 0.05:
            products[0] = PLAN["scarce"]
        for product in products:
            lines.append(
                {
                    "product": str(product),
                    "quantity": str(self.rng.choice((10, 20, 50, 100, 200))),
                    "unit_price": "",
                    "discount_rate": "",
                    "tax_rate": "13",
                    "below_min_reason": "",
                }
            )
            self.post(
                "/sales/orders/availability/", grid(), "order availability (htmx)", expect=200, htmx=True
            )
        status, _body, location = self.post("/sales/orders/new/", grid(), "order create (save)")
        if status != 302 or not location:
            return
        COUNTERS["orders_created"] += 1
        detail = self.page(location, "order detail")
        if detail is None:
            return
        submit = form_where(detail, action="/submit/")
        if submit is None:
            return
        status, _body, location = self.post(submit["attrs"]["action"], submit["fields"], "order submit")
        if status == 302:
            COUNTERS["orders_submitted"] += 1
            self.page(location, "order detail")


class Manager(Person):
    weight = 5
    role = "managers"

    @task
    def approve(self) -> None:
        html = self.page("/approvals/", "approval inbox")
        links = hrefs(html, "approval-link") if html else []
        if not links:
            return
        link = self.rng.choice(links[:10])
        detail = self.page(link, "approval detail")
        if detail is None:
            return
        form = form_where(detail, action="/approve/")
        if form is None:  # decided by someone else meanwhile, or not ours
            return
        data = dict(form["fields"])
        data["comment"] = "同意"
        status, body, location = self.post(form["attrs"]["action"], data, "approve")
        if status == 302:
            COUNTERS["orders_approved"] += 1
            self.page(location, "approval inbox")
            return
        if status != 400:
            return
        again = form_where(body, action="/approve/")
        if again is not None and refusal_kind(body) == "credit_limit":
            # over the credit limit: the manager gives the override reason and approves
            data = dict(again["fields"])
            data["comment"] = "同意"
            for field in again["fields"]:
                if field not in ("csrfmiddlewaretoken", "comment"):
                    data[field] = "老客户，回款及时，特批。"
            status, _body, location = self.post(again["attrs"]["action"], data, "approve (credit override)")
            if status == 302:
                COUNTERS["orders_approved"] += 1
                COUNTERS["credit_overrides"] += 1
                return
        reject = form_where(body, action="/reject/")
        if reject is not None:
            data = dict(reject["fields"])
            data["reason"] = "库存不足，请与客户协商分批或改期后重新提交。"
            status, _body, _location = self.post(reject["attrs"]["action"], data, "reject")
            if status == 302:
                COUNTERS["orders_rejected"] += 1


class Logistics(Person):
    weight = 3
    role = "logistics"

    @task
    def ship(self) -> None:
        html = self.page("/sales/shipments/to-ship/", "to-ship list (待发货)")
        links = hrefs(html, "ship-link") if html else []
        if not links:
            return
        link = self.rng.choice(links[:10])
        with self.client.get(link, name="shipping form", catch_response=True, allow_redirects=False) as r:
            if r.status_code == 302:  # shipped by a colleague meanwhile: the page says so
                REFUSALS["shipping form: status_changed"] += 1
                r.success()
                return
            if r.status_code != 200:
                r.failure(f"{r.status_code} on GET shipping form")
                return
            html = r.text or ""
        form = form_where(html, data_testid="shipment-form")
        if form is None:
            return
        data = dict(form["fields"])
        data.update({"carrier": "顺丰速运", "tracking_number": f"SF{self.rng.randint(10**11, 10**12 - 1)}"})
        status, _body, location = self.post(link, data, "ship (post shipment)")
        if status == 302 and "/shipments/" in location:
            COUNTERS["shipments"] += 1
            self.page(location, "shipment detail")
        elif status == 302:  # shipped by a colleague meanwhile: back to the order, with a warning
            REFUSALS["ship (post shipment): status_changed"] += 1
            self.page(location, "order detail")


class Finance(Person):
    weight = 2
    role = "finance"

    @task
    def receipt(self) -> None:
        path = "/finance/receivables/" + self.rng.choice(("", "?o=due_date", "?page=2"))
        html = self.page(path, "receivable list")
        links = hrefs(html, "obligation-number") if html else []
        if not links:
            return
        detail = self.page(self.rng.choice(links[:20]), "receivable detail")
        settle = hrefs(detail, "settle") if detail else []
        if not settle:  # settled meanwhile
            return
        form_page = self.page(settle[0], "receipt form")
        form = form_where(form_page, data_testid="settlement-form") if form_page else None
        if form is None or not form["fields"].get("amount"):
            return
        data = dict(form["fields"])
        data.pop("q", None)
        data.update({"method": "bank_transfer", "reference": f"BANK-{self.rng.randint(100000, 999999)}"})
        status, _body, location = self.post("/finance/receipts/new/", data, "record receipt")
        if status == 302:
            COUNTERS["receipts"] += 1
            self.page(location, "receipt detail")
