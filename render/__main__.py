"""`python -m render` is the same as the `impact-report` command."""

import sys

from .cli import main

sys.exit(main())
