"""Results every process serving one database version shares: one file per result, in a private folder.

A gunicorn worker, another worker, the command line that has just loaded the data: each used to work
out the same protected lattices again (seconds each, docs/performance.md). Here a result worked out by
any of them is written once and read by the others.

- **Which version**: a folder per database version, named by the load id ingest writes into
  ``schema_info`` (a new id at every load, never a path or a file time) and by the code that works the
  results out (a digest of the dashboard's source and of the libraries it computes with): a new load
  or a new release never reads an older one's results. When a process first uses a version, the
  folders of every other version are removed, except one being prepared: ingest works out a load's first
  views before it goes live (``preparing``), beside the live version's, and a marker file of the
  preparing process keeps its folder until that process ends.
- **Which result**: a SHA-256 of the key's canonical text (``canonical``: the measure, its filters,
  settings, scope...). A key that has no canonical text (an unknown type, a lambda) is not shared.
- **Safe with several writers**: a result is written to a temporary file and renamed into place, so a
  reader sees a whole file or none; one process works a key out at a time (a lock file per key: the
  others wait for its result instead of working it out too, then read it).
- **Damaged or missing**: any file that cannot be read back (cut short, another format, not a pickle
  of ours) is removed and the result worked out again.
- **Bounded**: at most ``limit_bytes`` per database; the least recently used results go first.
- **Private**: the folders are 0700 and owned by this user (or not used), the files 0600. Results are
  pickles, and a pickle runs code when read: nobody else may write here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import fcntl
import hashlib
import io
import logging
import os
import pickle
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .storage import process_alive

log = logging.getLogger(__name__)

#: The first bytes of every result file; another format is treated as damaged.
MAGIC = b"yjs-dashboard-result 1\n"
#: How long a process waits for another to finish working a key out before doing it itself.
WAIT_SECONDS = 600.0
#: A temporary file older than this was left by a process that was killed while writing.
STALE_SECONDS = 3600.0
_FOLDER = re.compile(r"[0-9a-f-]{8,64}\.[0-9a-f]{16}")
#: A version's folder holding ``.preparing-<pid>`` is being prepared by that process (ingest, before the swap).
PREPARING = ".preparing-"


def _being_prepared(folder: Path) -> bool:
    """Whether a living process marked ``folder`` as the version it is preparing (a dead one's mark is stale)."""
    return any(process_alive(marker.name.removeprefix(PREPARING)) for marker in folder.glob(PREPARING + "*"))


class Unshareable(TypeError):
    """A key with no canonical text: remembered by this process alone."""


def canonical(value) -> str:
    """The key's text, the same in every process for equal keys (``Unshareable`` if it has none)."""
    if value is None or isinstance(value, (bool, str, bytes)):
        return repr(value)
    if isinstance(value, np.generic):
        return canonical(value.item())
    if isinstance(value, (int, float)):
        return f"{type(value).__name__}({value!r})"
    if isinstance(value, (date, datetime)):
        return f"{type(value).__name__}({value.isoformat()})"
    if isinstance(value, enum.Enum):
        return f"{_name(type(value))}.{value.name}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}({', '.join(canonical(v) for v in value)})"
    if isinstance(value, (set, frozenset)):
        return f"set({', '.join(sorted(canonical(v) for v in value))})"
    if isinstance(value, Mapping):
        return f"dict({', '.join(sorted(f'{canonical(k)}: {canonical(v)}' for k, v in value.items()))})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(
            f"{f.name}={canonical(getattr(value, f.name))}" for f in dataclasses.fields(value) if f.compare
        )
        return f"{_name(type(value))}({fields})"
    if callable(value) and hasattr(value, "__qualname__") and hasattr(value, "__module__"):
        name = _name(value)
        if "<" in name:  # a lambda or a function made inside another: no name of its own
            raise Unshareable(f"{name} has no name of its own")
        return f"function {name}"
    reduced = getattr(value, "__reduce__", None)
    if reduced is not None:
        try:
            made = reduced()
        except TypeError:
            made = None
        # A singleton made again from its class alone (disclosure.ALL): its class names it.
        if isinstance(made, tuple) and len(made) == 2 and made[0] is type(value) and made[1] == ():
            return f"{_name(type(value))}()"
    raise Unshareable(f"no canonical text for a {type(value).__name__}")


def _name(thing) -> str:
    return f"{thing.__module__}.{thing.__qualname__}"


def digest(key) -> str | None:
    """The file name of ``key``'s result, or None when the key cannot be shared."""
    try:
        text = canonical(key)
    except (Unshareable, RecursionError, AttributeError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


_code: str | None = None


def code_identity() -> str:
    """A digest of the code that works results out: the dashboard's source files and the versions of
    Python and the libraries whose arithmetic or pickles they depend on."""
    global _code
    if _code is None:
        made = hashlib.sha256(sys.version.encode())
        for package in ("numpy", "pandas", "scipy", "highspy", "duckdb", "sqlalchemy", "psycopg"):
            try:
                made.update(f"{package} {metadata.version(package)}\n".encode())
            except metadata.PackageNotFoundError:
                made.update(f"{package} -\n".encode())
        root = Path(__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            made.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
        _code = made.hexdigest()[:16]
    return _code


def private_folder(path: Path) -> bool:
    """Make ``path`` if need be; True when it is this user's alone (0700, ours, not a symbolic link)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = os.lstat(path)
        if stat.S_ISLNK(found.st_mode) or not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid():
            log.warning("not sharing results in %s: it is not a folder of this user's own", path)
            return False
        if found.st_mode & 0o077:
            path.chmod(0o700)
        return True
    except OSError as error:
        log.warning("not sharing results in %s: %s", path, error)
        return False


class SharedResults:
    """The results of one database version (``version``: its load id) under ``root``."""

    def __init__(self, root: Path, version: str, limit_bytes: int):
        self.root = Path(root)
        self.version = version
        self.folder = self.root / f"{version}.{code_identity()}"
        self.limit_bytes = limit_bytes
        self._trim_lock = threading.Lock()

    @staticmethod
    def open(root: Path | None, version: str | None, limit_bytes: int, preparing: bool = False) -> SharedResults | None:
        """The store for ``version`` under ``root`` (every other version's results removed), or None
        when there is nothing to share (no root, a database loaded before load ids, a folder not ours).
        ``preparing``: a version not yet live (ingest's staged copy): the live version's results are in
        use, so none is removed, and this one's folder is marked as being prepared until ``prepared()``."""
        if root is None or not version or not re.fullmatch(r"[0-9a-f-]{8,64}", version):
            return None
        store = SharedResults(root, version, limit_bytes)
        if not private_folder(store.root) or not private_folder(store.folder):
            return None
        if preparing:
            store._marker().touch(mode=0o600)
        else:
            store.clean()
        return store

    def _marker(self) -> Path:
        return self.folder / f"{PREPARING}{os.getpid()}"

    def prepared(self) -> None:
        """This process has finished preparing the version: its folder is an ordinary one again."""
        self._marker().unlink(missing_ok=True)

    # -- reading and writing -----------------------------------------------------------------------
    def remember(self, key, compute: Callable[[], object]):
        """The result for ``key``: read if another process (or this one) wrote it, else worked out by
        ``compute()`` (one process at a time) and written for the others."""
        name = digest(key)
        if name is None:
            return compute()
        found = self.read(name)
        if found is not _MISSING:
            return found
        with self._turn(name):
            found = self.read(name)  # another process may have written it while this one waited
            if found is not _MISSING:
                return found
            value = compute()
            self.write(name, value)
            return value

    def read(self, name: str):
        path = self.folder / f"{name}.result"
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return _MISSING
        except OSError as error:
            log.warning("a shared result could not be read (%s): working it out again", error)
            return _MISSING
        try:
            if not data.startswith(MAGIC) or data[len(MAGIC) : len(MAGIC) + 64].decode() != name:
                raise ValueError("not a result of this key")
            value = pickle.loads(data[len(MAGIC) + 64 :])
        except Exception as error:  # cut short, another format: never trusted, worked out again
            log.warning("a damaged shared result was removed (%s: %s)", type(error).__name__, error)
            path.unlink(missing_ok=True)
            return _MISSING
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when the store is trimmed
        return value

    def write(self, name: str, value) -> None:
        try:
            data = _dumps(value)
        except Exception as error:  # not plain data: this process keeps it alone
            log.debug("not sharing a result that cannot be pickled: %s", error)
            return
        if len(data) > self.limit_bytes // 4:
            return  # one result may not push most of the others out
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            handle, draft = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".result")  # 0600
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(MAGIC + name.encode() + data)
                os.replace(draft, self.folder / f"{name}.result")
            except BaseException:
                Path(draft).unlink(missing_ok=True)
                raise
        except OSError as error:  # a full disk, a folder removed by a newer version: not shared
            log.warning("a result could not be shared: %s", error)
            return
        self.trim()

    # -- one process at a time per key --------------------------------------------------------------
    def _turn(self, name: str):
        return _Turn(self.folder / f"{name}.lock")

    # -- keeping it bounded and current -------------------------------------------------------------
    def trim(self) -> None:
        """Remove the least recently used results while the store holds more than ``limit_bytes``, and
        temporary files left by killed writers."""
        with self._trim_lock:
            entries, total, now = [], 0, time.time()
            try:
                listing = list(os.scandir(self.folder))
            except OSError:
                return
            for entry in listing:
                try:
                    found = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name.startswith(".tmp-"):
                    if now - found.st_mtime > STALE_SECONDS:
                        Path(entry.path).unlink(missing_ok=True)
                elif entry.name.endswith(".result"):
                    entries.append((found.st_mtime, found.st_size, entry.path))
                    total += found.st_size
            if total <= self.limit_bytes:
                return
            for _, size, path in sorted(entries):
                Path(path).unlink(missing_ok=True)
                Path(path).with_suffix(".lock").unlink(missing_ok=True)
                total -= size
                if total <= self.limit_bytes * 0.9:
                    return

    def clean(self) -> None:
        """Remove the results of every other database version (and of older code), but for a version a
        living process is preparing."""
        try:
            listing = list(os.scandir(self.root))
        except OSError:
            return
        for entry in listing:
            if (
                entry.name != self.folder.name
                and _FOLDER.fullmatch(entry.name)
                and entry.is_dir(follow_symlinks=False)
                and not _being_prepared(Path(entry.path))
            ):
                shutil.rmtree(entry.path, ignore_errors=True)

    def size(self) -> tuple[int, int]:
        """(results, bytes) held for this version."""
        sizes = [p.stat().st_size for p in self.folder.glob("*.result")]
        return len(sizes), sum(sizes)


# -- pickles that read back fast ---------------------------------------------------------------------
# A lattice is a frame of a few hundred thousand cells whose coordinates are objects (strings, ALL,
# nulls): pickled as they are, each cell is an object to make again (about a second for the largest at
# national scale, in every worker). Each object column is written instead as its distinct values and a
# code per row, and made again with one numpy take: the same values, of the same types, in the same
# frame (index, columns and dtypes as they were).


def _dumps(value) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is pd.DataFrame:
            return _packed(obj)
        return NotImplemented


def _packed(frame: pd.DataFrame):
    columns = []
    for n in range(frame.shape[1]):
        values = frame.iloc[:, n]._values
        coded = _codes(values) if isinstance(values, np.ndarray) and values.dtype == object else None
        columns.append(("coded", *coded) if coded is not None else ("as is", values))
    return _frame, (frame.index, frame.columns, columns, dict(frame.attrs))


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each value's number among the distinct values (told apart by type too: 1, 1.0 and True are
    three), or None when a value cannot be told apart that way (unhashable)."""
    seen: dict = {}
    codes = np.empty(len(values), dtype=np.int32)
    try:
        for i, value in enumerate(values.tolist()):
            codes[i] = seen.setdefault((type(value), value), len(seen))
    except TypeError:
        return None
    distinct = np.empty(len(seen), dtype=object)
    distinct[:] = [value for _, value in seen]
    return codes, distinct


def _frame(index, columns, parts, attrs) -> pd.DataFrame:
    made = {}
    for n, (how, *data) in enumerate(parts):
        values = data[1][data[0]] if how == "coded" else data[0]
        made[n] = pd.Series(values, index=index, dtype=object if how == "coded" else None, copy=False)
    frame = pd.DataFrame(made, index=index) if made else pd.DataFrame(index=index)
    frame.columns = columns
    frame.attrs.update(attrs)
    return frame


class _Missing:
    pass


_MISSING = _Missing()


class _Turn:
    """An exclusive lock on a key's lock file across processes (and threads: each holds its own open
    file), waited for up to WAIT_SECONDS; without it (a lock file that cannot be made) the work goes on."""

    def __init__(self, path: Path):
        self.path = path
        self.handle: int | None = None

    def __enter__(self):
        try:
            self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            return self
        deadline, pause = time.monotonic() + WAIT_SECONDS, 0.005
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning(
                        "another process has been working out a result for %.0f s: working it out here too",
                        WAIT_SECONDS,
                    )
                    return self
                time.sleep(pause)
                pause = min(pause * 2, 0.1)

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            os.close(self.handle)  # releases the lock
