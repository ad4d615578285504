"""Youth Justice Services dashboard.

``create_app(settings=None)`` builds the Dash app around one ``Settings`` (default: read from the
environment) and its database; ``app.py`` at the top of the repository is all a server needs.
Imports are inside the function so the command line (``python -m dashboard``) stays quick.
"""

from __future__ import annotations


def create_app(settings=None, db=None):
    from .app_shell import create_app as build

    return build(settings, db)
