#!/usr/bin/env python
"""Django's manage.py, for developers; `maoyi` (the console command) does the same."""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
    from maoyi.cli import main

    main(sys.argv[1:])
