"""`maoyi`: the console command. It wraps Django's management commands with Maoyi's settings:
`maoyi serve`, `maoyi demo`, `maoyi createadmin`, `maoyi migrate`, `maoyi check --deploy`, `maoyi backup`,
`maoyi restore`, `maoyi bench-data`, …"""

from __future__ import annotations

import os
import sys

# Commands people type with a dash (`maoyi bench-data`); Django's command names are module names.
DASHED = {"bench-data": "bench_data", "pool-sweep": "pool_sweep"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maoyi.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["maoyi", *argv])
    args[0] = "maoyi"
    if len(args) > 1 and args[1] in DASHED:
        args[1] = DASHED[args[1]]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
