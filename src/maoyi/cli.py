"""`maoyi`: the console command. It wraps Django's management commands with Maoyi's settings:
`maoyi serve`, `maoyi demo`, `maoyi createadmin`, `maoyi migrate`, `maoyi check --deploy`, …"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maoyi.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["maoyi", *argv])
    args[0] = "maoyi"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
