"""`python -m assistant` runs the ``career-assistant`` command."""

import sys

from assistant.apps import main

sys.exit(main())
