"""`python -m services.eligibility.importer FILE`: see entrypoints/cli.py."""

import sys

from services.eligibility.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
