"""Work kept off the request workers: chart images and board packs, each belonging to whoever asked,
with limits per account and in all.

A web worker has a few threads for everyone's clicks. A chart image keeps a core busy for 0.2 s (3 s
more to start Chromium) and a board pack for ten seconds or more, so neither runs in a request's thread:

- **Images** are drawn by an image process of each web worker (``python -m dashboard.exports``: one
  warm Chromium, at low priority, ended when idle), one figure at a time. At most ``image_renders``
  are drawn at once across every worker of the app, one per account; a worker takes at most
  ``IMAGES_PER_WORKER`` image requests at once (drawing or waiting), so its other threads stay free for
  clicks; an image gets ``IMAGE_SECONDS``, after which its process is killed. A request over a limit is
  refused at once with a plain message (``Busy``), and one that has waited ``QUEUE_SECONDS`` too.
- **Board packs** are jobs (``python -m dashboard board-pack``, the command a scheduled pack runs) that
  the page polls. Each account has one slot (a folder named by a hash of the account), so one job at a
  time, and at most ``pack_jobs`` run at once in all. A job's key is a hash of its account, its scope
  and a random number kept in the job's record: its progress and its pack go only to a request whose
  account and scope give that key again. The pack is deleted when collected, a finished job
  ``PACK_KEPT_SECONDS`` after it ended, and a job whose worker has gone a minute after its time limit
  (``PACK_SECONDS``).

Everything lives in one folder shared by the workers of one app, which must be this user's own: made
0700, refused if another user owns it or it is a symbolic link (a folder someone made first in a shared
/tmp would let them read the packs); files are made 0600. Limits across workers are ``flock`` locks on
files in it (a lock belongs to one open file, so two threads exclude each other as two processes do).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from . import config
from .access import Scope
from .exports import read_message, write_message
from .settings import Settings

log = logging.getLogger(__name__)

#: An image may take this long to draw (a figure that takes longer is not one the pages make).
IMAGE_SECONDS = 30
#: Image requests one web worker takes at once, drawing or waiting: with 4 threads, 2 stay for clicks.
IMAGES_PER_WORKER = 2
#: How long an image request waits for its turn before it is told the dashboard is busy.
QUEUE_SECONDS = 20
#: A board pack may take this long; a finished one is kept this long for its page to collect.
PACK_SECONDS = 300
PACK_KEPT_SECONDS = 300
PDF, RECORD, STATE = "board-pack.pdf", "job.json", "state.json"

BUSY = "The dashboard is busy making other downloads. Please try again in a minute."
IMAGE_STILL_BEING_MADE = "Your last image is still being made. Ask for the next when it has downloaded."
IMAGE_TOO_SLOW = "This chart took too long to draw as an image. The error has been logged."
IMAGE_FAILED = "This chart could not be drawn as an image. The error has been logged."
PACK_FAILED = "The board pack could not be made. The error has been logged."
#: A progress line of ``python -m dashboard board-pack`` on stderr.
PROGRESS_LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] (.*)")


class Busy(RuntimeError):
    """Refused: over a limit, or too slow. The message is for the user."""


class JobsUnavailable(RuntimeError):
    """The jobs folder is not this user's alone."""


@dataclass(frozen=True)
class Owner:
    """Whom work belongs to: an account (on the open demo, everyone on this computer is one visitor)
    and what it may see."""

    account: str
    scope: Scope

    @property
    def slot(self) -> str:
        """The account as a file name: one pack job and one image at a time."""
        return hashlib.sha256(self.account.encode("utf-8")).hexdigest()[:32]

    def key(self, nonce: str) -> str:
        """A job's key: its account, its scope and its random part. Another account, or this account
        with another scope, gives another key."""
        services = None if self.scope.services is None else sorted(self.scope.services)
        return hashlib.sha256(json.dumps([self.account, services, self.scope.drill_down, nonce]).encode()).hexdigest()


def private_folder(path: Path) -> Path:
    """``path``, made if need be, when it is this user's alone (0700, owned by us, not a symbolic link)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = os.lstat(path)
    if stat.S_ISLNK(found.st_mode) or not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid():
        raise JobsUnavailable(f"{path} is not a folder of this user's own: set DASHBOARD_JOBS_DIR to one")
    if found.st_mode & 0o077:
        path.chmod(0o700)
    _remove_old_cache(path)
    return path


def _remove_old_cache(path: Path) -> None:
    """The DiskCache that earlier versions kept their background jobs in, uncollected packs and all, in
    files anyone could read."""
    if not (path / "cache.db").exists():
        return
    for entry in path.iterdir():
        if entry.name.startswith("cache.db"):
            entry.unlink(missing_ok=True)
        elif re.fullmatch(r"[0-9a-f]{2}", entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def _locked(paths: list[Path], wait: float = 0.0) -> Iterator[bool]:
    """An exclusive lock on one of ``paths`` for the block: True if one was free within ``wait`` seconds."""
    handles = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600) for p in paths]
    try:
        yield _lock_one(handles, time.monotonic() + wait)
    finally:
        for handle in handles:
            os.close(handle)


def _lock_one(handles: list[int], deadline: float) -> bool:
    while True:
        for handle in handles:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _write_json(path: Path, value: dict) -> None:
    """Written whole (a reader in another worker never sees half), readable by this user only."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(value, out)
    os.replace(draft, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def _kill(process: subprocess.Popen) -> None:
    """The process and everything it started (Chromium): they have a session of their own."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


class Images:
    """Chart images, drawn by this worker's image process within the limits (see the module's docstring)."""

    def __init__(self, folder: Path, renders_at_once: int):
        self.folder = folder
        self.slots = [folder / f"image-slot-{i}.lock" for i in range(max(1, renders_at_once))]
        self._process: subprocess.Popen | None = None
        self._started_by = 0
        self._turn = threading.Lock()
        self._taken = threading.BoundedSemaphore(IMAGES_PER_WORKER)

    @contextmanager
    def turn(self, owner: Owner) -> Iterator[None]:
        """``owner``'s turn for one image, taken before any work is done for it: Busy at once while they
        have one being made, or this worker has as many image requests as it takes."""
        with _locked([self.folder / f"image-{owner.slot}.lock"]) as free:
            if not free:
                raise Busy(IMAGE_STILL_BEING_MADE)
            if not self._taken.acquire(blocking=False):
                raise Busy(BUSY)
            try:
                yield
            finally:
                self._taken.release()

    def draw(self, figure_json: str, fmt: str, *, width: int, scale: float) -> bytes:
        """``figure_json`` (plotly's JSON) as PNG or SVG bytes, in a ``turn``: when this worker's image process
        and one of the app's drawing slots are free (Busy after QUEUE_SECONDS)."""
        if not self._turn.acquire(timeout=QUEUE_SECONDS):
            raise Busy(BUSY)
        try:
            with _locked(self.slots, wait=QUEUE_SECONDS) as slot:
                if not slot:
                    raise Busy(BUSY)
                asked = json.dumps({"format": fmt, "width": width, "scale": scale}).encode()
                return self._ask(asked + b"\n" + figure_json.encode("utf-8"))
        finally:
            self._turn.release()

    def _ask(self, request: bytes) -> bytes:
        """One image from the image process (started if need be), killed past ``IMAGE_SECONDS``."""
        process = self._image_process()
        try:
            write_message(process.stdin, request)
            answer = read_message(process.stdout.fileno(), deadline=time.monotonic() + IMAGE_SECONDS)
        except TimeoutError as exc:  # before OSError, of which it is one
            self._stop()
            log.error("image took over %s s: its process was stopped", IMAGE_SECONDS)
            raise Busy(IMAGE_TOO_SLOW) from exc
        except (OSError, EOFError) as exc:
            self._stop()
            log.error("image process failed: %r", exc)
            raise Busy(IMAGE_FAILED) from exc
        status, _, body = answer.partition(b"\n")
        if status != b"ok":
            log.error("image not drawn: %s", body.decode("utf-8", "replace")[:2000])
            raise Busy(IMAGE_FAILED)
        return body

    def _image_process(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None or self._started_by != os.getpid():
            self._process = subprocess.Popen(
                [sys.executable, "-m", "dashboard.exports"],
                cwd=config.PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
                umask=0o077,
            )
            self._started_by = os.getpid()
        return self._process

    def _stop(self) -> None:
        if self._process is not None:
            _kill(self._process)
            self._process.wait()
            self._process = None


@dataclass(frozen=True)
class Work:
    """What one app does away from its request workers: chart images and board packs."""

    images: Images
    packs: Packs

    @staticmethod
    def for_settings(settings: Settings) -> Work:
        folder = private_folder(jobs_folder(settings))
        return Work(Images(folder, settings.image_renders), Packs(folder, settings.db, settings.pack_jobs))


def jobs_folder(settings: Settings) -> Path:
    """``DASHBOARD_JOBS_DIR``, else a folder in the temporary folder named by the database, so the
    workers of one app share it and other apps on the machine keep their own."""
    return settings.jobs_dir or Path(tempfile.gettempdir()) / (
        "yjs-dashboard-jobs-" + hashlib.sha1(settings.db.encode()).hexdigest()[:12]
    )


@dataclass(frozen=True)
class PackState:
    """What the page is told about a pack job: how it is going, or its PDF, or that it failed."""

    key: str
    message: str
    running: bool = True
    pdf: bytes | None = None


class Packs:
    """Board pack jobs (see the module's docstring)."""

    def __init__(self, folder: Path, database: str, at_once: int):
        self.folder = folder
        self.database = database
        self.at_once = max(1, at_once)

    def start(self, owner: Owner, arguments: list[str]) -> PackState:
        """A new job for ``owner``, with the command line's ``arguments``; or its job already running
        (one at a time). Busy when as many packs as allowed are being made."""
        with _locked([self.folder / "packs.lock"], wait=10) as mine:
            if not mine:
                raise Busy(BUSY)
            self._sweep()
            slot = self.folder / f"pack-{owner.slot}"
            record = _read_json(slot / RECORD)
            if record is not None and self._state(slot).get("running"):
                key = owner.key(record["nonce"])
                if not hmac.compare_digest(key, record["key"]):
                    raise Busy("A board pack is being made for your account. Please try again in a few minutes.")
                return PackState(
                    key,
                    "A board pack you asked for earlier is still being made. It will "
                    "download here when ready; then ask for this one.",
                )
            shutil.rmtree(slot, ignore_errors=True)  # one made and never collected: a new one instead
            if sum(1 for job in self.folder.glob("pack-*") if self._state(job).get("running")) >= self.at_once:
                raise Busy(BUSY)
            return self._launch(owner, slot, arguments)

    def _launch(self, owner: Owner, slot: Path, arguments: list[str]) -> PackState:
        slot.mkdir(mode=0o700)
        nonce = secrets.token_hex(16)
        key = owner.key(nonce)
        _write_json(slot / RECORD, {"key": key, "nonce": nonce, "account": owner.account, "started": time.time()})
        _write_json(slot / STATE, {"running": True, "message": "starting (it takes about ten seconds)"})
        user = [f"--as-user={owner.account.removeprefix('account:')}"] if owner.account.startswith("account:") else []
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "board-pack", *arguments, *user, "-o", str(slot / PDF)],
            cwd=config.PROJECT_ROOT,
            env={**os.environ, "DASHBOARD_DB": self.database},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            umask=0o077,
        )
        threading.Thread(target=self._watch, args=(slot, process), daemon=True, name="board-pack").start()
        log.info("board pack started for %s: %s", owner.account, " ".join(arguments) or "all the data")
        return PackState(key, "Board pack: starting (it takes about ten seconds)...")

    def _watch(self, slot: Path, process: subprocess.Popen) -> None:
        """Pass the job's progress lines on, end it past PACK_SECONDS, and say how it ended."""
        timer = threading.Timer(PACK_SECONDS, _kill, [process])
        timer.start()
        said, other = [], []
        try:
            for line in process.stderr:
                progress = PROGRESS_LINE.match(line)
                if progress:  # the CLI's progress lines: "[12:00:01] Drawing chart 2 of 6"
                    said.append(progress.group(1).strip())
                    _write_json(slot / STATE, {"running": True, "message": said[-1]})
                elif line.startswith("error: "):
                    said.append(line.strip())
                else:  # anything else (a traceback) is for the log, never the page
                    other.append(line.rstrip())
            code = process.wait()
        except FileNotFoundError:  # its folder removed (expired): nobody is waiting for it
            _kill(process)
            process.wait()
            return
        finally:
            timer.cancel()
        if code == 0 and (slot / PDF).exists():
            state = {"running": False, "ended": time.time()}
        else:
            log.error("board pack failed (exit %s): %s", code, " | ".join([*said[-5:], *other[-20:]]))
            problem = said[-1].removeprefix("error: ") if said and said[-1].startswith("error: ") else None
            message = f"No board pack: these filters cannot be shown: {problem}." if problem else PACK_FAILED
            state = {"running": False, "failed": message, "ended": time.time()}
        with suppress(FileNotFoundError):  # its folder removed (expired): nobody is waiting
            _write_json(slot / STATE, state)

    def poll(self, owner: Owner, key: str) -> PackState | None:
        """How ``owner``'s job with ``key`` is going; its PDF once made (then the job is deleted). None
        when ``owner`` has no such job: another account's, or this account's with another scope, or gone."""
        with _locked([self.folder / "packs.lock"], wait=10) as mine:
            if not mine:
                return PackState(key, "Board pack: waiting for its turn...")
            return self._poll(owner, key)

    def _poll(self, owner: Owner, key: str) -> PackState | None:
        self._sweep()
        slot = self.folder / f"pack-{owner.slot}"
        record = _read_json(slot / RECORD)
        if record is None or not (
            hmac.compare_digest(key, record["key"]) and hmac.compare_digest(owner.key(record["nonce"]), key)
        ):
            return None
        state = self._state(slot)
        if state.get("running", True):
            return PackState(key, f"Board pack: {state.get('message', 'starting')}...")
        claimed = slot.with_name(f"{slot.name}.collected-{secrets.token_hex(8)}")
        try:
            slot.rename(claimed)  # only one request collects a pack, whichever worker it reaches
        except FileNotFoundError:
            return None
        try:
            if state.get("failed"):
                return PackState(key, state["failed"], running=False)
            return PackState(key, "Board pack ready.", running=False, pdf=(claimed / PDF).read_bytes())
        finally:
            shutil.rmtree(claimed, ignore_errors=True)

    @staticmethod
    def _state(slot: Path) -> dict:
        return _read_json(slot / STATE) or {}

    def _sweep(self) -> None:
        """Delete packs made and not collected in time, jobs whose worker has gone, half-collected ones
        (under the packs lock: a job is made whole while it is held)."""
        now = time.time()
        for job in self.folder.glob("pack-*"):
            state, record = self._state(job), _read_json(job / RECORD) or {}
            stale = ".collected-" in job.name or (
                now - state["ended"] > PACK_KEPT_SECONDS
                if "ended" in state
                else now - record.get("started", 0) > PACK_SECONDS + 60
            )
            if stale:
                shutil.rmtree(job, ignore_errors=True)
