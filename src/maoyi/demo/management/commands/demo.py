from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maoyi.demo.company import ACCOUNTS, demo_password, load_company
from maoyi.org.models import Employee, Role


class Command(BaseCommand):
    help = "Load the demo company (idempotent). --first-start: only into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--first-start", action="store_true", help="load only when no employee exists yet"
        )
        parser.add_argument("--accounts", action="store_true", help="print the demo accounts and stop")

    def handle(self, *args: Any, first_start: bool = False, accounts: bool = False, **options: Any) -> None:
        if accounts:
            self._print_accounts()
            return
        if first_start and Employee.objects.exists():
            self.stdout.write("demo: the database already has employees; nothing loaded")
            return
        created = load_company()
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['departments']} department(s) and {created['employees']} employee(s) created"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['categories']} category(ies), {created['price_levels']} price level(s), "
                f"{created['products']} product(s), {created['warehouses']} warehouse(s) and "
                f"{created['stock_moves']} opening stock move(s) created"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['customers']} customer(s), {created['suppliers']} supplier(s), "
                f"{created['receivables']} opening receivable(s), {created['payables']} opening payable(s) "
                f"and {created['settlements']} receipt(s)/payment(s) created"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['exchange_rates']} exchange rate(s), {created['quotes']} supplier quote(s), "
                f"{created['purchase_orders']} purchase order(s), {created['goods_receipts']} goods "
                f"receipt(s), {created['purchase_returns']} purchase return(s) and "
                f"{created['supplier_payments']} supplier payment(s) created"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['contacts']} contact(s), {created['activities']} follow-up(s), "
                f"{created['opportunities']} opportunity(ies), {created['customer_quotes']} quote(s) and "
                f"{created['contracts']} contract(s) created"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {created['sales_orders']} sales order(s), {created['shipments']} shipment(s), "
                f"{created['sales_returns']} sales return(s) and {created['customer_receipts']} customer "
                "receipt(s) created"
            )
        )

    def _print_accounts(self) -> None:
        names = {r.code: r.name for r in Role.objects.all()}
        self.stdout.write("Demo accounts (password: $MAOYI_DEMO_PASSWORD, default shown below):")
        for a in ACCOUNTS:
            roles = "、".join(names.get(code, code) for code in a.roles)
            self.stdout.write(f"  {a.username:<10} {a.name:<6} {a.department:<8} {roles}")
        self.stdout.write(f"  password: {demo_password()}")
