"""Allow ``python -m sklearn_backprop``."""

import sys

from ._cli import main

sys.exit(main())
