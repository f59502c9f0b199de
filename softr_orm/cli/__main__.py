"""``python -m softr_orm.cli``: the same command line as ``softr-orm``."""

import sys

from softr_orm.cli import main

sys.exit(main())
