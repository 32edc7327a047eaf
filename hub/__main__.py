"""Entry point of `python -m hub`."""

import sys

from hub.cli import main

sys.exit(main())
