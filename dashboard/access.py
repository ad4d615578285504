"""What each person may see, enforced where the numbers are made (``metrics.compute``).

A ``Viewer`` is the services someone may see and whether they may drill into groups of children.
The query layer restricts every measure to those services (an SQL condition, not a hidden menu),
and refuses a service or a breakdown outside them, so a page, a download and an export all obey
the same rule. Published tables (the areas measure) are open data and are not restricted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .accounts import User
from .db import Database
from .filters import Filters, InvalidFilter

#: Filters that pick out a group of children or a part of the area: a drill-down, which board members
#: do not get (so nothing they see can be differenced against another group's figures).
DRILL_DOWN = ("locality", "sex", "ethnicity_group", "age_band", "disposal_type", "programme")


class AccessDenied(InvalidFilter):
    """The viewer asked for something their role does not allow."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    services: tuple[str, ...] | None     # None: every service
    drill_down: bool = True

    def restrict(self, filters: Filters, options: dict) -> tuple[Filters, dict]:
        """The filters and filter options limited to what this viewer may see."""
        if not self.drill_down:
            asked = [name.replace("_", " ") for name in DRILL_DOWN if getattr(filters, name)]
            if asked:
                raise AccessDenied(f"a {self.role} account sees whole-service figures, not {', '.join(asked)}")
        if self.services is None:
            return filters, options
        options = scoped_options(options, self.services)
        if not options["yjs"]:
            raise AccessDenied("this database holds no data for the services your account may see")
        only = options["yjs"][0] if len(options["yjs"]) == 1 and not filters.yjs else filters.yjs
        return replace(filters, services=tuple(options["yjs"]), yjs=only), options


def scoped_options(options: dict, services: tuple[str, ...] | None) -> dict:
    """Filter options holding only ``services`` (and their areas and programmes)."""
    if services is None:
        return options
    keep = [s for s in options["yjs"] if s in services]
    localities = {s: options["localities"].get(s, []) for s in keep}
    return {**options, "yjs": keep, "as_of": {s: options["as_of"][s] for s in keep},
            "localities": localities,
            "all_localities": sorted({loc for s in keep for loc in localities[s]}),
            "programmes": sorted({p for s in keep for p in options["programmes_by_yjs"].get(s, [])})}


#: Analysts at the command line: they hold the database file itself.
EVERYONE = Viewer("command line", "admin", None)
#: No one: sees no service (what the layout is built for outside a request).
NOBODY = Viewer("nobody", "none", (), drill_down=False)
#: The demonstration database, open without sign-in on this machine.
DEMO_VISITOR = Viewer("demo visitor", "demo", None)


def viewer_for(user: User, db: Database) -> Viewer:
    """A signed-in user's view: their own service, their region's services, or everything."""
    if user.role == "admin":
        return Viewer(user.username, user.role, None)
    services = set(user.services)
    if user.region:
        services |= set(db.query("SELECT DISTINCT yjs FROM published_children WHERE region = :region",
                                 {"region": user.region})["yjs"])
    return Viewer(user.username, user.role, tuple(sorted(services)), drill_down=user.role != "board")


#: True when the database is the demonstration one: only the demo build (`python -m dashboard demo`,
#: or the app's first start) writes this mark, after loading the synthetic extract of fictional
#: services and nothing else; every other load clears it. What an extract says about itself (its
#: description) never opens a database.
ALL_SYNTHETIC = "SELECT coalesce(bool_and(demo), false) FROM schema_info"


def is_demo(db: Database) -> bool:
    return db.memo("is_demo", lambda: bool(db.scalar(ALL_SYNTHETIC)))
