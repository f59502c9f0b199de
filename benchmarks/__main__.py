"""``python -m benchmarks``: run every benchmark module and print one table (see run.py)."""

from __future__ import annotations

import sys

from benchmarks.run import main

sys.exit(main())
