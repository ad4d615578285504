"""The analysts' command line: ingest, export, synth, demo and board-pack.

    python -m dashboard ingest DIR [--db PATH]
    python -m dashboard export METRIC [filters] [--unsuppressed] --format csv|json [--db PATH]
    python -m dashboard synth OUT_DIR [--children N] [--seed S]
    python -m dashboard demo [--db PATH]
    python -m dashboard users add NAME --role ROLE [--yjs NAME ...] [--region NAME] [--password-stdin]
    python -m dashboard users remove NAME | users list
    python -m dashboard board-pack [filters] [--as-user NAME] -o FILE.pdf [--db PATH]

Exit codes: 0 done, 1 the extract or database is not usable, 2 a wrong command or filter value.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from datetime import date
from pathlib import Path

from . import config
from .filters import FIELDS, flag
from .settings import Settings
from .storage import is_server_url

#: The measures' settings ``export`` takes as flags (--indicator for compare-areas).
SETTING_FLAGS = ("region", "level", "by", "base", "reference", "indicator")


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong command is one line on stderr and exit 2."""

    def error(self, message: str):
        print(f"error: {message} (see `python -m dashboard {self.prog.split()[-1]} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dashboard", description="Youth Justice Services dashboard: data tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    from .ingest import DEMO_CHILDREN
    from .metrics import MEASURES

    ingest = commands.add_parser("ingest", help="validate an extract folder and load it")
    ingest.add_argument("folder", type=Path)
    ingest.add_argument("--db", help="database file (default: $DASHBOARD_DB or data/dashboard.duckdb)")
    ingest.add_argument(
        "--accept-drop", action="store_true", help="load even if a file has far fewer rows than the service's last load"
    )
    _no_prepare(ingest)

    export = commands.add_parser("export", help="print a measure as CSV or JSON")
    export.add_argument("metric", help=", ".join(MEASURES))
    _period_and_cohort(export)
    for name in SETTING_FLAGS:
        export.add_argument(f"--{name}", dest=name)
    export.add_argument("--unsuppressed", action="store_true", help="raw numbers, no small-number suppression")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--db")

    synth = commands.add_parser("synth", help="write a synthetic extract of fictional services")
    synth.add_argument("out_dir", type=Path)
    synth.add_argument("--children", type=int, default=20_000)
    synth.add_argument("--seed", type=int, default=1)

    demo = commands.add_parser("demo", help="build the demo database (synthetic extract + public data)")
    demo.add_argument("--db")
    demo.add_argument("--children", type=int, default=DEMO_CHILDREN)
    _no_prepare(demo)

    users = commands.add_parser("users", help="add, remove or list the accounts that may sign in")
    actions = users.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = actions.add_parser("add", help="add an account (or give an existing one a new password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="board, manager, regional or admin")
    add.add_argument("--yjs", action="append", default=[], help="a service the account sees (repeat for several)")
    add.add_argument("--region", help="regional accounts: every service of this published region")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--db")
    remove = actions.add_parser("remove", help="remove an account; its sessions end at once")
    remove.add_argument("username")
    remove.add_argument("--db")
    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--db")

    pack = commands.add_parser("board-pack", help="write the board pack PDF for the filters (for scheduled packs)")
    _period_and_cohort(pack)
    pack.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    pack.add_argument(
        "--as-user",
        metavar="NAME",
        help="the pack exactly as this account sees it (default: everything, as for any analyst holding the database)",
    )
    pack.add_argument("--db")
    return parser


def _no_prepare(parser) -> None:
    parser.add_argument(
        "--no-prepare",
        action="store_true",
        help="do not work out every account's first views after loading (DASHBOARD_WARM=0 does the same)",
    )


def _prepare(args):
    """What a load runs before it goes live: every scope's first views worked out into the shared results
    (views.prepare), unless turned off."""
    settings = _settings(args)
    if args.no_prepare or not settings.warm:
        return None
    from . import views

    return lambda staged, say: views.prepare(settings, say, staged=staged)


def _period_and_cohort(parser) -> None:
    """The filter options shared by export and board-pack: the address's filters (filters.FIELDS) as
    flags, plus the free date range."""
    parser.add_argument("--from", dest="date_from", type=_iso_date, metavar="DATE")
    parser.add_argument("--to", dest="date_to", type=_iso_date, metavar="DATE")
    for field in FIELDS:
        if field == "by_quarter":
            parser.add_argument("--by-quarter", action="store_true")
        else:
            parser.add_argument(
                flag(field),
                dest=field,
                help="financial year 2021-22 or quarter '2021-22 Q4'" if field == "period" else None,
            )


def _filters(args):
    """The Filters the flags give (the same codec as the address), with the free date range."""
    from dataclasses import replace

    from .filters import from_text

    chosen = from_text({f: getattr(args, f) for f in FIELDS if isinstance(getattr(args, f), str)})
    return replace(chosen, by_quarter=bool(args.by_quarter), date_from=args.date_from, date_to=args.date_to)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _settings(args)
    except SettingsWrong as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return {
        "ingest": run_ingest,
        "export": run_export,
        "synth": run_synth,
        "demo": run_demo,
        "users": run_users,
        "board-pack": run_board_pack,
    }[args.command](args)


def _refused(error: Exception) -> int:
    """Say why on stderr; exit 1 when the database cannot be used, 2 for a wrong value."""
    from .db import DatabaseUnavailable

    print(f"error: {error}", file=sys.stderr)
    return 1 if isinstance(error, DatabaseUnavailable) else 2


def _shown(location: str) -> str:
    """A database location fit to print: a server URL without its password."""
    if not is_server_url(location):
        return location
    from sqlalchemy.engine import make_url

    return make_url(location).render_as_string(hide_password=True)


def _settings(args) -> Settings:
    """The settings (every DASHBOARD_* variable), with ``--db`` where given; a variable set wrongly is a
    plain message."""
    from pydantic import ValidationError

    try:
        return Settings().with_db(getattr(args, "db", None))
    except ValidationError as exc:
        raise SettingsWrong("; ".join(_wrong_setting(error) for error in exc.errors())) from None


def _wrong_setting(error: dict) -> str:
    """'DASHBOARD_INGEST_MAX_FILE_MB is '5GB': give a whole number of megabytes' from pydantic's error."""
    name = "DASHBOARD_" + "_".join(map(str, error["loc"])).upper()
    hint = {"int_parsing": "give a whole number", "bool_parsing": "give true or false"}.get(
        error["type"], error["msg"].lower()
    )
    return f"{name} is {error['input']!r}: {hint}" + (
        " of megabytes" if name.endswith("_MB") and error["type"] == "int_parsing" else ""
    )


class SettingsWrong(ValueError):
    """A DASHBOARD_* variable that cannot be read (a word where a number belongs)."""


def _location(args) -> str:
    """The database: ``--db``, else ``DASHBOARD_DB``, else data/dashboard.duckdb."""
    return _settings(args).db


def _open(args):
    from .db import Database

    return Database.from_settings(_settings(args))


def run_ingest(args) -> int:
    from .ingest import REFUSALS, IngestLimits, ingest

    location = _location(args)
    try:
        summary = ingest(
            args.folder,
            location,
            _progress,
            accept_drop=args.accept_drop,
            limits=IngestLimits.from_settings(_settings(args)),
            prepare=_prepare(args),
        )
    except REFUSALS as exc:
        return _load_refused(exc)
    rate = summary.rows_read / summary.seconds if summary.seconds else 0
    print(f"Loaded {', '.join(summary.yjs)} into {_shown(location)} in {summary.seconds:.1f} s ({rate:,.0f} rows/s):")
    for line in _row_changes(summary):
        print(f"  {line}")
    for drop in summary.drops:
        print(f"  accepted: {drop}")
    return 0


def _load_refused(exc: Exception) -> int:
    """Say why a load was refused (an extract's problems on stdout, the verdict on stderr); exit code 1."""
    from .ingest import ExtractRejected, LoadRefused

    if isinstance(exc, ExtractRejected):
        shown = exc.problems[: config.MAX_REPORTED_PROBLEMS]
        for problem in shown:
            print(problem)
        if len(exc.problems) > len(shown):
            print(f"... and {len(exc.problems) - len(shown)} more problems")
        print(f"Extract rejected: {len(exc.problems)} problem(s). The database was not changed.", file=sys.stderr)
    elif isinstance(exc, LoadRefused):
        for line in exc.lines:
            print(f"error: {line}", file=sys.stderr)
        print("Load refused. The database was not changed.", file=sys.stderr)
    else:
        print(f"error: {exc}. The database was not changed.", file=sys.stderr)
    return 1


def _row_changes(summary) -> list[str]:
    """One line per record file: its rows, and against the rows its services had before."""
    from .ingest.derive import RECORD_TABLES

    lines = []
    for table, file in RECORD_TABLES.items():
        rows, before = summary.rows[table], summary.before.get(table)
        if file not in summary.files and not before:
            continue
        now = f"{rows:,} rows" if file in summary.files else "not in this extract"
        if before is None:
            lines.append(f"{file.removesuffix('.csv')}: {now} (new)")
        elif before == rows:
            lines.append(f"{file.removesuffix('.csv')}: {now} (unchanged)")
        else:
            change = f" ({(rows - before) / before:+.1%})" if before else ""
            lines.append(f"{file.removesuffix('.csv')}: {before:,} -> {now}{change}")
    return lines


def run_export(args) -> int:
    from .access import EVERYONE
    from .db import DatabaseUnavailable
    from .filters import InvalidFilter
    from .metrics import MEASURES, compute

    if args.metric not in MEASURES:
        print(f"error: unknown metric '{args.metric}'; valid choices: {', '.join(MEASURES)}", file=sys.stderr)
        return 2
    found = MEASURES[args.metric]
    filters = _filters(args)
    settings = {k: getattr(args, k) for k in SETTING_FLAGS if getattr(args, k) is not None}
    not_applying = [k for k in filters.chosen() if k not in found.filters] + [
        k for k in settings if k not in found.settings
    ]
    if not_applying:
        flags = ", ".join("--" + k.replace("_", "-").replace("date-", "") for k in not_applying)
        print(f"error: {flags} does not apply to {args.metric}", file=sys.stderr)
        return 2
    try:
        db = _open(args)
        result = compute(db, args.metric, filters, scope=EVERYONE.scope, suppressed=not args.unsuppressed, **settings)
        for note in found.notes(db, filters, EVERYONE.scope) if found.notes else ():
            print(f"note: {note}", file=sys.stderr)
    except (InvalidFilter, DatabaseUnavailable) as exc:
        return _refused(exc)
    write_table(result.table, args.format, sys.stdout)
    return 0


def _plain(value):
    """A cell as a JSON/CSV value: null for missing, ints as ints, booleans as booleans."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    return value


def write_table(table, fmt: str, out) -> None:
    rows = [[_plain(v) for v in row] for row in table.itertuples(index=False, name=None)]
    columns = list(table.columns)
    if fmt == "json":
        json.dump([dict(zip(columns, row)) for row in rows], out, allow_nan=False)
        out.write("\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])


def run_synth(args) -> int:
    from .synth import generate_extract

    if args.children < 1:
        print("error: --children must be at least 1", file=sys.stderr)
        return 2
    counts = generate_extract(args.out_dir, children=args.children, seed=args.seed, progress=_progress)
    print(f"Wrote a synthetic extract to {args.out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def run_demo(args) -> int:
    from .ingest import REFUSALS, build_demo

    location = _location(args)
    try:
        build_demo(location, args.children, _progress, prepare=_prepare(args))
    except REFUSALS as exc:
        return _load_refused(exc)
    print(f"Demo database ready at {_shown(location)}.")
    return 0


def run_users(args) -> int:
    from . import accounts
    from .db import DatabaseUnavailable

    location = _location(args)
    try:
        if args.action == "list":
            for user in accounts.list_users(_open(args)):
                region = [f"region {user.region}"] if user.region else []
                sees = ", ".join([*user.services, *region]) or "every service"
                print(f"{user.username}\t{user.role}\t{sees}")
            return 0
        if args.action == "remove":
            accounts.remove_user(location, args.username)
            print(f"Removed {args.username} from {_shown(location)}; their sessions have ended.")
            return 0
        password = _read_password(args.password_stdin)
        user = accounts.add_user(location, args.username, password, args.role, tuple(args.yjs), args.region)
    except (accounts.AccountError, DatabaseUnavailable) as exc:
        return _refused(exc)
    print(f"Saved {user.username} ({user.role}) in {_shown(location)}.")
    return 0


def _read_password(from_stdin: bool) -> str:
    """From standard input (scripts), else asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        from .accounts import AccountError

        raise AccountError("the two passwords differ")
    return first


def run_board_pack(args) -> int:
    """The pack for the filters given, as the dashboard makes it, as everyone or one account sees it."""
    from . import board_pack
    from .db import DatabaseUnavailable
    from .filters import InvalidFilter, one_group
    from .views import Context

    if args.date_from or args.date_to:
        return _refused(
            InvalidFilter("the board pack is by financial year or quarter, as on the dashboard: use --period")
        )
    filters = _filters(args)
    if args.as_user:
        # A pack made for an account shows what the dashboard would show it: one group at a time.
        try:
            one_group(filters)
        except InvalidFilter as exc:
            return _refused(exc)
    db = _open(args)
    try:
        with db.snapshot() as snap:
            pdf = board_pack.build(Context(snap, _pack_viewer(args.as_user, snap)), filters, progress=_progress)
    except (InvalidFilter, DatabaseUnavailable) as exc:
        return _refused(exc)
    args.output.write_bytes(pdf)
    seen_by = f", as {args.as_user} sees it," if args.as_user else ""
    from .filters import query_string, to_text

    print(
        f"Board pack for {query_string(to_text(filters)) or 'all the data'}{seen_by} written to {args.output} "
        f"({len(pdf) // 1024:,} KB)."
    )
    return 0


def _pack_viewer(username: str | None, db):
    """Whose view the pack shows: an account's (so a scheduled pack for a board member holds only what
    they may see), else everything."""
    from .access import EVERYONE, viewer_for
    from .accounts import find_user
    from .filters import InvalidFilter

    if not username:
        return EVERYONE
    user = find_user(db, username)
    if user is None:
        raise InvalidFilter(f"no account '{username}' (see `python -m dashboard users list`)")
    return viewer_for(user, db)
