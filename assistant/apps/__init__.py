"""The edges people use: the ``career-assistant`` CLI, the web chat and its HTTP APIs
(``python app.py``), the terminal chat and the Discord bot.

Public entry points: :func:`main` (the CLI) and :func:`serve_main` (``app.py``).
Nothing here is imported by the stages below; web, API and Discord modules load
their optional dependencies only when used.
"""

from assistant.apps.cli import main
from assistant.apps.serve import main as serve_main

__all__ = ["main", "serve_main"]
