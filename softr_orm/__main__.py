"""``python -m softr_orm`` is the ``softr-orm`` command (for when scripts are not on PATH)."""

import sys

from softr_orm.cli import main

sys.exit(main())
