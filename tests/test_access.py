"""Who sees what, enforced in the query layer, and the accounts the CLI manages."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import accounts
from dashboard.access import EVERYONE, AccessDenied, Scope, viewer_for
from dashboard.db import Database
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute, filter_options

from .commands import run_dashboard

#: Each measure with the settings a page uses, and the columns that name a service (if any).
MEASURES = [
    ("fte", {}),
    ("disposals", {}),
    ("referrals", {"period": "2023-24"}),
    ("disproportionality", {"period": "2023-24"}),
    ("programme-reoffending", {"period": "2022-23"}),
    ("reoffending-curve", {"period": "2022-23"}),
    ("kpis", {"period": "2023-24", "by_quarter": True}),
    ("kpi-recording", {"period": "2023-24"}),
    ("board-attendance", {"period": "2023-24"}),
]


@pytest.fixture(scope="module")
def demo(demo_path):
    """The session's demo database (tests/conftest.py), only read here: a test that writes takes db_copy."""
    return Database.open(demo_path)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("metric,settings", MEASURES)
def test_a_manager_gets_exactly_their_service(demo, metric, settings):
    """The same figures as everyone's for that service. Which cells are withheld may differ: each scope's
    cells are protected together (a service's among all services for an administrator)."""
    service = filter_options(demo)["yjs"][0]
    theirs = compute(demo, metric, Filters(**settings), scope=Scope((service,)), suppressed=False)
    chosen = compute(demo, metric, Filters(yjs=service, **settings), scope=EVERYONE.scope, suppressed=False)
    everyone = compute(demo, metric, Filters(**settings), scope=EVERYONE.scope, suppressed=False)
    _same(theirs.table, chosen.table)
    shown = compute(demo, metric, Filters(**settings), scope=Scope((service,)))
    assert shown.withheld.shape == theirs.table.shape
    assert shown.withheld.any(axis=None) or metric == "board-attendance"  # meetings, not children: none withheld
    if "yjs" in theirs.table:
        assert set(theirs.table["yjs"]) == {service}
    assert not theirs.table.equals(everyone.table)  # the scope really narrowed the query


@pytest.mark.parametrize("metric,settings", MEASURES)
def test_no_one_gets_a_service_outside_their_scope(demo, metric, settings):
    mine, other = filter_options(demo)["yjs"][:2]
    with pytest.raises(InvalidFilter, match="unknown YJS") as refused:
        compute(demo, metric, Filters(yjs=other, **settings), scope=Scope((mine,)))
    assert other not in str(refused.value).split("valid choices:")[1]  # nor learns it exists


def test_a_regional_lead_sees_their_services_side_by_side(demo):
    services = tuple(filter_options(demo)["yjs"][:2])
    table = compute(demo, "fte", Filters(period="2023-24"), scope=Scope(services)).table
    assert sorted(table["yjs"]) == sorted(services)
    every = compute(demo, "fte", Filters(period="2023-24"), scope=EVERYONE.scope).table.set_index("yjs")
    for row in table.itertuples():
        assert row.fte == every.loc[row.yjs, "fte"] or pd.isna(row.fte)


def test_a_board_member_gets_no_drill_down_into_groups_of_children(demo):
    service = filter_options(demo)["yjs"][0]
    board = Scope((service,), drill_down=False)
    assert not compute(demo, "fte", Filters(), scope=board).table.empty
    for name, value in [
        ("sex", "female"),
        ("ethnicity_group", "Black"),
        ("age_band", "10-14"),
        ("disposal_type", "REFERRAL_ORDER"),
    ]:
        with pytest.raises(AccessDenied, match="whole-service figures"):
            compute(demo, "disposals", Filters(**{name: value}), scope=board)


def test_an_account_with_no_services_in_the_database_sees_nothing(demo):
    with pytest.raises(AccessDenied, match="no data for the services"):
        compute(demo, "fte", Filters(), scope=Scope(("Elsewhere",)))


def test_the_areas_measure_is_published_data_open_to_everyone(demo):
    board = Scope((filter_options(demo)["yjs"][0],), drill_down=False)
    _same(
        compute(demo, "areas", Filters(period="2019-20"), scope=board).table,
        compute(demo, "areas", Filters(period="2019-20"), scope=EVERYONE.scope).table,
    )


def test_a_regional_account_covers_every_service_of_its_published_region(demo):
    user = accounts.User("r", "regional", ("Northvale",), "London")
    viewer = viewer_for(user, demo)
    london = set(demo.query("SELECT DISTINCT yjs FROM published_children WHERE region = 'London'")["yjs"])
    assert len(london) > 20 and set(viewer.scope.services) == london | {"Northvale"}
    assert viewer_for(accounts.User("a", "admin"), demo).scope.services is None


# -- accounts through the command line -----------------------------------------------------------
def users(*args, db, password=None):
    return run_dashboard("users", *args, "--db", db, input=password)


@pytest.fixture
def db_copy(demo, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(demo.location).read_bytes())
    return copy


def test_users_are_added_listed_and_removed_with_hashed_passwords(db_copy):
    secret = "correct horse battery staple"
    added = users(
        "add",
        "alice",
        "--role",
        "manager",
        "--yjs",
        "Northvale",
        "--password-stdin",
        db=db_copy,
        password=secret + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert (
        users(
            "add",
            "bob",
            "--role",
            "board",
            "--yjs",
            "Kingsmere",
            "--password-stdin",
            db=db_copy,
            password="another long password\n",
        ).returncode
        == 0
    )
    assert users("list", db=db_copy).stdout.splitlines() == ["alice\tmanager\tNorthvale", "bob\tboard\tKingsmere"]
    assert secret.encode() not in db_copy.read_bytes()
    db = Database.open(db_copy)
    assert accounts.find_user(db, "alice").password_hash.startswith("$argon2id$")
    assert accounts.authenticate(db, "alice", secret).role == "manager"
    assert accounts.authenticate(db, "alice", "wrong password here") is None
    assert accounts.authenticate(db, "nobody", secret) is None
    db.close()  # DuckDB shares one open file per process: let go of the old one
    assert users("remove", "alice", db=db_copy).returncode == 0
    assert accounts.find_user(Database.open(db_copy), "alice") is None
    assert users("remove", "alice", db=db_copy).returncode == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (["add", "xy", "--role", "king"], "unknown role"),
        (["add", "xy", "--role", "manager"], "exactly one service"),
        (["add", "xy", "--role", "admin", "--yjs", "Northvale"], "every service"),
        (["add", "xy", "--role", "regional"], "--region"),
        (["add", "bad name!", "--role", "admin"], "username"),
    ],
)
def test_accounts_that_could_not_work_are_refused(db_copy, args, message):
    before = db_copy.read_bytes()
    result = users(*args, "--password-stdin", db=db_copy, password="a long enough password\n")
    assert result.returncode == 2 and message in result.stderr
    assert db_copy.read_bytes() == before


def test_a_short_password_is_refused(db_copy):
    result = users("add", "xy", "--role", "admin", "--password-stdin", db=db_copy, password="short\n")
    assert result.returncode == 2 and "12 characters" in result.stderr


def test_accounts_are_added_while_the_app_holds_the_file_and_survive_an_ingest(db_copy, tmp_path):
    reader = duckdb.connect(str(db_copy), read_only=True)  # as a running app does
    try:
        assert (
            users(
                "add", "carol", "--role", "admin", "--password-stdin", db=db_copy, password="a long enough password\n"
            ).returncode
            == 0
        )
    finally:
        reader.close()
    from dashboard.ingest import build_demo

    build_demo(db_copy, children=500, progress=lambda message: None)  # ingest into the same file
    assert accounts.find_user(Database.open(db_copy), "carol").role == "admin"


def test_a_database_built_by_another_version_is_refused_plainly_and_only_a_demo_one_rebuilt(db_copy):
    from dashboard.app_shell import _outdated_demo
    from dashboard.db import DatabaseUnavailable

    assert not _outdated_demo(db_copy)
    with duckdb.connect(str(db_copy)) as con:
        con.execute("UPDATE schema_info SET version = version - 1")
    with pytest.raises(DatabaseUnavailable, match="built by another version"):
        Database.open(db_copy).query("SELECT 1")
    assert _outdated_demo(db_copy)
    with duckdb.connect(str(db_copy)) as con:
        con.execute("UPDATE schema_info SET demo = false")
    assert not _outdated_demo(db_copy)  # real data (no demo mark) is never rebuilt
