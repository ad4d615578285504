"""`python -m dashboard ...`: see cli.py."""

from .cli import main

raise SystemExit(main())
