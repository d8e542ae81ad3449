"""``python -m jet_orderhive``: the same command line as ``jet-orderhive``."""

from __future__ import annotations

import sys

from jet_orderhive.cli import main

sys.exit(main())
