"""`maoyi bench_data`: fill a freshly migrated database with a realistic company at a chosen scale
(see maoyi.ops.benchdata), for the scale benchmark (bench/scale.py).

    maoyi bench_data --customers 100000 --orders 200000 --moves 1000000 --activities 500000
    maoyi bench_data --scale 0.01          # the same company at 1 %
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maoyi.ops import benchdata


def _quiet(_text: str) -> None:
    pass


class Command(BaseCommand):
    help = "Fill an empty, migrated database with a realistic company for the scale benchmark."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--orders", type=int, default=200_000)
        parser.add_argument("--moves", type=int, default=1_000_000)
        parser.add_argument("--activities", type=int, default=500_000)
        parser.add_argument(
            "--products", type=int, default=None, help="default: customers / 10 (at least 20)"
        )
        parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count (0.01: 1 %%)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--password",
            default=None,
            help="password of every generated login (default: none; logins cannot sign in with a password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("customers", "orders", "moves", "activities", "products"):
            value = options[name]
            if value is not None and value < 1:
                raise CommandError(f"--{name} must be positive")
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        counts = benchdata.Counts.scaled(
            customers=options["customers"],
            orders=options["orders"],
            moves=options["moves"],
            activities=options["activities"],
            products=options["products"],
            scale=options["scale"],
        )
        verbose = options["verbosity"] > 0
        if verbose:
            self.stdout.write(
                f"bench data: {counts.customers:,} customers, {counts.orders:,} orders, "
                f"{counts.moves:,} moves, {counts.activities:,} activities, {counts.products:,} products"
            )
        try:
            summary = benchdata.load(
                counts,
                seed=options["seed"],
                password=options["password"],
                log=self.stdout.write if verbose else _quiet,
            )
        except benchdata.NotEmpty as exc:
            raise CommandError(str(exc)) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if verbose:
            figures = ", ".join(f"{k} {v:,}" for k, v in summary.counts.items())
            self.stdout.write(
                f"loaded in {summary.seconds_generate_and_write:.1f} s (+ {summary.seconds_analyze:.1f} s "
                f"ANALYZE): {figures}"
            )
