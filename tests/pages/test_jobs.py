"""Board packs made away from the request workers (dashboard/jobs.py), through Flask's test client on a
'real' database with accounts: a pack goes only to the account and scope that started it, its files are
private and deleted once collected or expired, and an account runs one pack job at a time (issue 12,
item 1: an uncollected admin pack used to be handed to a board member who sent the same request)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from benchmarks.dash_requests import CALLBACK_PATH
from dashboard import create_app, jobs
from dashboard.access import Scope
from dashboard.db import Database
from dashboard.downloads import WORK
from dashboard.metrics import filter_options
from dashboard.settings import Settings

from .test_security import signed_in


@pytest.fixture(scope="module")
def app(real_db, tmp_path_factory):
    """The app on the 'real' database, its jobs in a folder of their own."""
    return create_app(
        Settings(
            db=str(real_db["path"]),
            secret_file=tmp_path_factory.mktemp("secret") / "key",
            jobs_dir=tmp_path_factory.mktemp("jobs") / "jobs",
        )
    )


PACK_OUTPUTS = [
    ("board-pack-download", "data"),
    ("board-pack-job", "data"),
    ("board-pack-poll", "disabled"),
    ("board-pack-progress", "children"),
    ("board-pack", "disabled"),
]


def pack_request(app, client, trigger: str, key=None, search: str = "", clicks: int = 1) -> dict:
    """The board pack callback as the page sends it: a click on the button, or the timer asking how the job
    with ``key`` is going. What the page is sent back, by component."""
    output = next(k for k in app.callback_map if "board-pack-job.data" in k)
    body = {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in PACK_OUTPUTS],
        "inputs": [
            {"id": "board-pack", "property": "n_clicks", "value": clicks},
            {"id": "board-pack-poll", "property": "n_intervals", "value": 3},
        ],
        "state": [
            {"id": "url", "property": "search", "value": search},
            {"id": "board-pack-job", "property": "data", "value": key},
        ],
        "changedPropIds": [{"click": "board-pack.n_clicks", "poll": "board-pack-poll.n_intervals"}[trigger]],
    }
    response = client.post(CALLBACK_PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {component: next(iter(values.values())) for component, values in response.get_json()["response"].items()}


def start(app, client, search: str = "") -> dict:
    return pack_request(app, client, "click", search=search)


def poll(app, client, key) -> dict:
    return pack_request(app, client, "poll", key)


def collect(app, client, key, seconds: float = 240) -> tuple[bytes | None, str]:
    """Poll as the page does until the job ends: (the PDF or None, the last message)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sent = poll(app, client, key)
        if "board-pack-download" in sent:
            data = sent["board-pack-download"]
            return (base64.b64decode(data["content"]) if data else None), sent["board-pack-progress"]
        time.sleep(0.5)
    raise AssertionError("the board pack took too long")


def folder(app) -> Path:
    return app.server.extensions[WORK].packs.folder


def pack_folders(app) -> list[Path]:
    return sorted(folder(app).glob("pack-*"))


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "pack.pdf").write_bytes(pdf)
    return " ".join(
        subprocess.run(["pdftotext", tmp_path / "pack.pdf", "-"], capture_output=True, text=True).stdout.split()
    )


@pytest.fixture(autouse=True)
def no_jobs_left(app):
    """Each test starts with no pack job, and leaves none behind."""
    yield
    for job in pack_folders(app):
        shutil.rmtree(job, ignore_errors=True)


@pytest.mark.browser  # board packs: Chromium draws and prints them
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (scripts/test installs it)")
def test_a_board_pack_goes_only_to_the_account_that_started_it(app, real_db, tmp_path):
    """The attack as reported: an admin starts a pack and never collects it; a board member of one service
    sends the same request (same clicks, same address), then both poll."""
    admin, board = signed_in(app, "admin1"), signed_in(app, "board1")
    admins = start(app, admin)
    assert admins["board-pack-job"] and admins["board-pack-poll"] is False
    boards = start(app, board)  # the very same request
    assert boards["board-pack-job"] != admins["board-pack-job"]
    assert "starting" in boards["board-pack-progress"]  # a job of its own, not the admin's pack
    stolen = poll(app, board, admins["board-pack-job"])  # the admin's key, from the board account
    assert stolen["board-pack-download"] is None and "no longer available" in stolen["board-pack-progress"]
    assert stolen["board-pack-poll"] is True

    board_pdf, said = collect(app, board, boards["board-pack-job"])
    assert said == "Board pack ready."
    admin_pdf, _ = collect(app, admin, admins["board-pack-job"])  # the admin still gets their own
    services = filter_options(Database.open(real_db["path"]))["yjs"]
    board_text, admin_text = pdf_text(board_pdf, tmp_path), pdf_text(admin_pdf, tmp_path)
    assert real_db["mine"] in board_text
    assert not [s for s in services if s != real_db["mine"] and s in board_text]
    assert all(s in admin_text for s in services)
    assert pack_folders(app) == []  # deleted once collected
    again = poll(app, admin, admins["board-pack-job"])
    assert again["board-pack-download"] is None and "no longer available" in again["board-pack-progress"]


@pytest.mark.browser
def test_an_account_runs_one_pack_job_at_a_time_in_a_private_folder(app, real_db):
    manager = signed_in(app, "manager1")
    first = start(app, manager)
    repeats = [start(app, manager, search="?period=2023-24") for _ in range(5)]  # six clicks, as in the attack
    assert {r["board-pack-job"] for r in repeats} == {first["board-pack-job"]}  # the same job, polled again
    assert all("still being made" in r["board-pack-progress"] for r in repeats)
    assert len(pack_folders(app)) == 1
    assert os.stat(folder(app)).st_mode & 0o777 == 0o700
    for path in [*pack_folders(app), *pack_folders(app)[0].iterdir()]:
        assert os.stat(path).st_mode & 0o077 == 0, path  # nobody else may read a pack
    pdf, _ = collect(app, manager, first["board-pack-job"])
    assert pdf[:5] == b"%PDF-"
    assert pack_folders(app) == []


def test_a_forged_or_missing_job_key_gets_nothing(app, real_db):
    manager = signed_in(app, "manager1")
    for key in [None, "", "0" * 64, "zz", "é" * 64, ["a"], {"key": "a"}, 7]:
        sent = poll(app, manager, key)
        assert sent["board-pack-download"] is None and "no longer available" in sent["board-pack-progress"]


# -- The job store itself (dashboard/jobs.py) --------------------------------------------------------
ADMIN = jobs.Owner("account:admin1", Scope())
BOARD = jobs.Owner("account:board1", Scope(("Northvale",), drill_down=False))


def packs_in(tmp_path, at_once=2) -> jobs.Packs:
    return jobs.Packs(jobs.private_folder(tmp_path / "jobs"), "unused.duckdb", at_once)


def made(packs: jobs.Packs, owner: jobs.Owner, *, running: bool, age: float) -> str:
    """A job as the store keeps it, started ``age`` seconds ago (running, or ended then with its PDF)."""
    slot = packs.folder / f"pack-{owner.slot}"
    slot.mkdir(mode=0o700)
    nonce = "1234"
    jobs._write_json(
        slot / jobs.RECORD,
        {"key": owner.key(nonce), "nonce": nonce, "account": owner.account, "started": time.time() - age},
    )
    jobs._write_json(
        slot / jobs.STATE,
        {"running": True, "message": "Drawing chart 1 of 7"}
        if running
        else {"running": False, "ended": time.time() - age},
    )
    (slot / jobs.PDF).write_bytes(b"%PDF-")
    return owner.key(nonce)


def test_a_job_belongs_to_its_account_and_the_scope_it_had(tmp_path):
    packs = packs_in(tmp_path)
    key = made(packs, ADMIN, running=False, age=1)
    assert packs.poll(BOARD, key) is None  # another account
    narrowed = jobs.Owner(ADMIN.account, Scope(("Northvale",), drill_down=False))
    assert packs.poll(narrowed, key) is None  # the account, since narrowed
    assert packs.poll(ADMIN, "f" * 64) is None  # the account, another key
    assert packs.poll(ADMIN, key).pdf == b"%PDF-"
    assert packs.poll(ADMIN, key) is None  # collected once only
    assert list(packs.folder.glob("pack-*")) == []


def test_a_pack_never_collected_is_deleted_after_five_minutes(tmp_path):
    packs = packs_in(tmp_path)
    kept = made(packs, ADMIN, running=False, age=jobs.PACK_KEPT_SECONDS - 30)
    made(packs, BOARD, running=False, age=jobs.PACK_KEPT_SECONDS + 1)
    orphan = jobs.Owner("account:manager1", Scope())
    made(packs, orphan, running=True, age=jobs.PACK_SECONDS + 61)  # its worker has gone
    assert packs.poll(orphan, "0" * 64) is None
    assert [p.name for p in packs.folder.glob("pack-*")] == [f"pack-{ADMIN.slot}"]
    assert packs.poll(ADMIN, kept).pdf == b"%PDF-"


def test_packs_made_at_once_are_limited_in_all(tmp_path):
    packs = packs_in(tmp_path, at_once=2)
    made(packs, ADMIN, running=True, age=1)
    made(packs, jobs.Owner("account:manager1", Scope()), running=True, age=1)
    with pytest.raises(jobs.Busy, match="busy"):
        packs.start(BOARD, [])
    narrowed = jobs.Owner(ADMIN.account, Scope(("Northvale",), drill_down=False))
    with pytest.raises(jobs.Busy, match="being made for your account"):
        packs.start(narrowed, [])


def test_the_jobs_folder_must_be_this_users_alone(tmp_path):
    """A folder someone made first in a shared /tmp, or a link to one, would let them read the packs."""
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o777)
    if os.geteuid() == 0:
        os.chown(theirs, 65534, 65534)
        with pytest.raises(jobs.JobsUnavailable):
            jobs.private_folder(theirs)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(jobs.JobsUnavailable):
        jobs.private_folder(tmp_path / "link")
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert jobs.private_folder(loose).stat().st_mode & 0o777 == 0o700


def test_packs_left_readable_by_the_old_background_jobs_are_removed(tmp_path):
    """Earlier versions kept jobs in a DiskCache, uncollected packs and all, in files anyone could read."""
    old = tmp_path / "jobs"
    (old / "3f" / "a1").mkdir(parents=True)
    (old / "3f" / "a1" / "pack.val").write_bytes(b"%PDF-")
    for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
        (old / name).write_bytes(b"")
    (old / "notes.txt").write_text("someone else's")
    jobs.private_folder(old)
    assert sorted(p.name for p in old.iterdir()) == ["notes.txt"]


# -- Chart images (dashboard/jobs.py: Images) ----------------------------------------------------------
FIGURE = go.Figure(go.Bar(x=["2023-24", "2024-25"], y=[12, 9])).to_json()


def test_an_account_draws_one_image_at_a_time_on_every_worker(tmp_path):
    folder = jobs.private_folder(tmp_path / "jobs")
    worker, other_worker = jobs.Images(folder, 1), jobs.Images(folder, 1)
    with worker.turn(ADMIN):
        started = time.monotonic()
        for images in (worker, other_worker):
            with pytest.raises(jobs.Busy, match="still being made"), images.turn(ADMIN):
                pass
        assert time.monotonic() - started < 1  # refused at once, before any work
        with worker.turn(BOARD):  # a worker takes two image requests at once
            with pytest.raises(jobs.Busy, match="busy"), worker.turn(jobs.Owner("account:manager1", Scope())):
                pass
            with other_worker.turn(jobs.Owner("account:manager1", Scope())):
                pass
    with worker.turn(ADMIN):  # each turn ends with its request
        pass


def test_images_wait_their_turn_in_all_and_are_told_when_it_is_too_long(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "QUEUE_SECONDS", 0.5)
    folder = jobs.private_folder(tmp_path / "jobs")
    images = jobs.Images(folder, 1)
    with jobs._locked(images.slots) as drawing:  # another worker is drawing
        assert drawing
        with images.turn(ADMIN), pytest.raises(jobs.Busy, match="busy"):
            images.draw(FIGURE, "png", width=600, scale=1)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's Chromium (scripts/test installs it)")
def test_an_image_taking_too_long_is_stopped_with_its_chromium_and_the_next_is_drawn(tmp_path, monkeypatch):
    images = jobs.Images(jobs.private_folder(tmp_path / "jobs"), 1)
    process = images._image_process()
    monkeypatch.setattr(jobs, "IMAGE_SECONDS", 0.2)  # less than Chromium takes to start
    with images.turn(ADMIN), pytest.raises(jobs.Busy, match="took too long"):
        images.draw(FIGURE, "png", width=600, scale=1)
    assert process.poll() is not None
    deadline = time.monotonic() + 10
    while True:  # nothing of its process group is left
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the image process's Chromium is still running"
        time.sleep(0.2)
    monkeypatch.setattr(jobs, "IMAGE_SECONDS", 60)
    with images.turn(ADMIN):
        png = images.draw(FIGURE, "png", width=600, scale=1)
        svg = images.draw(FIGURE, "svg", width=600, scale=1)
    assert png[:4] == b"\x89PNG" and b"<svg" in svg[:300]
    images._stop()
