"""career-assistant: answers career questions from curated essays, with checked citations.

Importing the package is cheap: heavy dependencies (torch, chromadb) load only
when a module that needs them is used.
"""

__version__ = "0.1.0"
