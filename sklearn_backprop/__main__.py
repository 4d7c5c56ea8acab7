"""Allow ``python -m sklearn_backprop``."""

import sys

from .cli import main

sys.exit(main())
