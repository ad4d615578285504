"""What each person may see, enforced where the numbers are made (``metrics.compute``).

A ``Viewer`` is a person (or the command line) and their ``Scope``: the services they may see and
whether they may drill into groups of children. ``compute`` takes the scope as an argument of its own,
restricts every measure to those services (an SQL condition, not a hidden menu) and refuses a service
or a breakdown outside them, so a page, a download and an export all obey the same rule. Published
tables (the areas measure) are open data and are not restricted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .accounts import User
from .filters import GROUP_FILTERS, Filters, InvalidFilter, covered_years, first_case_record


class AccessDenied(InvalidFilter):
    """The viewer asked for something their role does not allow."""


@dataclass(frozen=True)
class Scope:
    """The services someone may see (None: every one) and whether they may pick out groups of children."""

    services: tuple[str, ...] | None = None
    drill_down: bool = True

    def check(self, filters: Filters, options: dict) -> tuple[Filters, dict]:
        """The filters (one service chosen when only one can be seen) and filter options limited to
        this scope; AccessDenied for a drill-down the scope does not allow."""
        if not self.drill_down:
            asked = [name.replace("_", " ") for name in GROUP_FILTERS if getattr(filters, name)]
            if asked:
                raise AccessDenied(f"this account sees whole-service figures, not {', '.join(asked)}")
        if self.services is None:
            return filters, options
        options = scoped_options(options, self.services)
        if not options["yjs"]:
            raise AccessDenied("this database holds no data for the services your account may see")
        if len(options["yjs"]) == 1 and not filters.yjs:
            filters = replace(filters, yjs=options["yjs"][0])
        return filters, options


def scoped_options(options: dict, services: tuple[str, ...] | None) -> dict:
    """Filter options holding only ``services`` (and their areas and programmes)."""
    if services is None:
        return options
    keep = [s for s in options["yjs"] if s in services]
    localities = {s: options["localities"].get(s, []) for s in keep}
    as_of = {s: options["as_of"][s] for s in keep}
    # Only the years these services' extracts cover are offered.
    years, latest_complete = covered_years(
        first_case_record(options["first_record"], as_of), max(as_of.values(), default=None)
    )
    return {
        **options,
        "yjs": keep,
        "as_of": as_of,
        "years": years,
        "latest_complete_year": latest_complete,
        "localities": localities,
        "all_localities": sorted({loc for s in keep for loc in localities[s]}),
        "programmes": sorted({p for s in keep for p in options["programmes_by_yjs"].get(s, [])}),
    }


@dataclass(frozen=True)
class Viewer:
    """Who is asking, and what they may see."""

    name: str
    role: str
    scope: Scope = field(default_factory=Scope)


#: Analysts at the command line: they hold the database file itself.
EVERYONE = Viewer("command line", "admin", Scope())
#: No one: sees no service (what a layout is built for outside a request).
NOBODY = Viewer("nobody", "none", Scope((), drill_down=False))
#: The demonstration database, open without sign-in on this machine.
DEMO_VISITOR = Viewer("demo visitor", "demo", Scope())


def viewer_for(user: User, db) -> Viewer:
    """A signed-in user's view: their own service, their region's services, or everything."""
    if user.role == "admin":
        return Viewer(user.username, user.role, Scope())
    services = set(user.services)
    if user.region:
        services |= set(
            db.query("SELECT DISTINCT yjs FROM published_children WHERE region = :region", {"region": user.region})[
                "yjs"
            ]
        )
    return Viewer(user.username, user.role, Scope(tuple(sorted(services)), drill_down=user.role != "board"))


#: True when the database is the demonstration one: only the demo build (`python -m dashboard demo`,
#: or the app's first start) writes this mark, after loading the synthetic extract of fictional
#: services and nothing else; every other load clears it. What an extract says about itself (its
#: description) never opens a database.
ALL_SYNTHETIC = "SELECT coalesce(bool_and(demo), false) FROM schema_info"


def is_demo(db) -> bool:
    with db.snapshot() as snap:
        return bool(snap.remember("is_demo", lambda: bool(snap.scalar(ALL_SYNTHETIC))))
