"""Start the career assistant web chat: `python app.py [--host H] [--port P] [--data-dir D]`."""

import sys

from assistant.apps import serve_main as main

if __name__ == "__main__":
    sys.exit(main())
