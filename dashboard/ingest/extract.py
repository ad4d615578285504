"""Read and validate an extract folder inside DuckDB, then stage it as typed tables.

Every file is read as text (``all_varchar``) with its line numbers, and every rule of the extract
format becomes a SQL query over it, so a 10M-row extract validates in seconds. Nothing is written
to the dashboard database here: a rejected extract never touches it.

Only regular files are read, each below a size limit, in a DuckDB held to a memory limit that
spills to a temporary folder (``IngestLimits``), so a huge or hostile file is refused plainly
instead of filling memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
import mmap
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb

from .. import config
from . import public
from .spec import (
    AGE_AT_EVENT,
    BOOLEAN_WORDS,
    CHILDREN,
    EARLIEST_DATE,
    EXTRACT_FILES,
    EXTRACT_JSON,
    FILES,
    FREE_TEXT_LENGTH,
    POPULATION,
    Column,
    ExtractFile,
)

Progress = Callable[[str], None]

#: extract.json holds a date, a description and two small blocks: anything bigger is not one.
EXTRACT_JSON_BYTES = 1 << 20
#: A header row longer than this is not a header (and is not read into memory whole).
HEADER_BYTES = 1 << 16
#: Values longer than this are cut short when a message quotes them.
QUOTED_LENGTH = 60
#: Rows per batch when true line numbers are worked out in Python (bounded memory on any file).
LINE_MAP_BATCH = 500_000
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class IngestLimits:
    """What one ingest may use: DuckDB's memory (beyond it, work spills to ``temp_directory``) and
    the largest file it reads. Defaults suit a server with a few GB to spare; each can be set in
    the environment (docs/extract-format.md)."""

    memory_limit: str = "2GB"
    #: Where DuckDB spills (a private folder is made inside it); None: the system's temporary folder.
    temp_directory: str | None = None
    max_file_bytes: int = 5 * 1024**3

    @classmethod
    def from_settings(cls, settings) -> IngestLimits:
        """``DASHBOARD_INGEST_MEMORY`` (e.g. 4GB), ``DASHBOARD_INGEST_TEMP_DIR``, ``DASHBOARD_INGEST_MAX_FILE_MB``,
        as read by dashboard.settings."""
        return cls(
            memory_limit=settings.ingest_memory,
            temp_directory=str(settings.ingest_temp_dir) if settings.ingest_temp_dir else None,
            max_file_bytes=settings.ingest_max_file_mb * 1024**2,
        )


class IngestFailed(RuntimeError):
    """The load could not finish (the disk is full, too little memory, a limit set wrongly, the server
    cannot be reached); the database is unchanged."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the extract, printed as ``file:line: column: problem``."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class ExtractRejected(Exception):
    """The extract breaks the format; ``problems`` lists every fault found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__(f"{len(self.problems)} problem(s) in the extract")


def _problem_order(p: Problem):
    files = [EXTRACT_JSON] + [f.name for f in EXTRACT_FILES]
    return (files.index(p.file) if p.file in files else len(files), p.file, p.line, p.column, p.message)


@dataclass
class StagedExtract:
    """A validated extract: the connection holding its ``stage_*`` views, and what derive and load need."""

    con: duckdb.DuckDBPyConnection
    as_of: date
    description: str
    #: file name -> data rows, for every file the extract has
    rows: dict[str, int]
    #: service -> (region, compare_as), either None where neither extract.json nor the published names say
    services: dict[str, tuple[str | None, str | None]]
    temp_folder: str = field(repr=False)

    def close(self) -> None:
        _discard(self.con, self.temp_folder)


def _discard(con: duckdb.DuckDBPyConnection, temp_folder: str) -> None:
    """Close the staging DuckDB and remove its spill folder."""
    con.close()
    shutil.rmtree(temp_folder, ignore_errors=True)


# -- files -----------------------------------------------------------------------------------------
def _not_regular(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file ("missing" when nothing is there), or None for a
    regular file (a link to one is fine). A FIFO, device or folder must never pass for absent."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a link to a file that does not exist" if path.is_symlink() else "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _size_words(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


class Layout(NamedTuple):
    quoted: bool  # any quote character: a value may hold a line break
    blank_lines: bool  # blank lines are skipped, moving later rows off row + 1
    nul_line: int | None  # the line of the first NUL byte, if any


def _layout(path: Path) -> Layout:
    """One scan at memory speed for what can move rows off the line DuckDB's row count gives
    them, and for NUL bytes (never text; DuckDB and the csv module would each read them their own way)."""
    if path.stat().st_size == 0:
        return Layout(False, False, None)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        nul = data.find(b"\x00")
        nul_line = None
        if nul >= 0:
            nul_line = 1 + sum(
                data[start : min(start + (1 << 24), nul)].count(b"\n") for start in range(0, nul, 1 << 24)
            )
        return Layout(data.find(b'"') >= 0, data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0, nul_line)


def _csv_fault(path: Path) -> tuple[int, str] | None:
    """Where a file stops being CSV (e.g. a quote never closed), found by Python's strict reader,
    for the rare file DuckDB cannot read at all."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        row_line = 1
        try:
            for _ in reader:
                row_line = reader.line_num + 1
        except csv.Error as exc:
            return row_line, str(exc)
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _holds_nul(value) -> bool:
    """Whether any text in a JSON value (keys included) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_nul(v) for v in value)


def _published_services() -> dict[str, tuple[str, str]]:
    """lower-case name -> (name, YJB region) of every service in the published tables."""
    with public.YJS_AREAS.open(encoding="utf-8", newline="") as handle:
        return {row["yjs"].lower(): (row["yjs"], row["region"]) for row in csv.DictReader(handle)}


def _shown(sql: str) -> str:
    """SQL for a cell quoted in a message, cut short when long (a message names it, not repeats it)."""
    return (
        f"'''' || CASE WHEN length({sql}) > {QUOTED_LENGTH} THEN left({sql}, {QUOTED_LENGTH - 3}) || '...' "
        f"ELSE {sql} END || ''''"
    )


def _quoted(value: object) -> str:
    """A value from extract.json quoted in a message, cut short as ``_shown`` does."""
    text = str(value)
    return repr(text if len(text) <= QUOTED_LENGTH else text[: QUOTED_LENGTH - 3] + "...")


class Stager:
    """Validates one extract folder into an in-memory DuckDB and keeps the typed tables."""

    def __init__(self, folder: Path, progress: Progress | None = None, limits: IngestLimits | None = None):
        self.folder = Path(folder)
        self.progress = progress or (lambda message: None)
        self.limits = limits or IngestLimits.from_environment()
        if self.limits.temp_directory and not Path(self.limits.temp_directory).is_dir():
            raise IngestFailed(f"DASHBOARD_INGEST_TEMP_DIR is {self.limits.temp_directory}, which is not a folder")
        self.temp_folder = tempfile.mkdtemp(prefix="yjs-ingest-", dir=self.limits.temp_directory)
        self.con = duckdb.connect()
        # Ingest reports its own progress: DuckDB's bar would print into the command's output.
        self.con.execute("SET enable_progress_bar = false")
        try:
            self.con.execute("SET memory_limit = $limit", {"limit": self.limits.memory_limit})
        except duckdb.Error:
            _discard(self.con, self.temp_folder)
            raise IngestFailed(
                f"DASHBOARD_INGEST_MEMORY is {self.limits.memory_limit!r}: give a size such as 2GB or 512MB"
            ) from None
        self.con.execute("SET temp_directory = $folder", {"folder": self.temp_folder})
        self.problems: list[Problem] = []
        #: extract file name -> the spec columns its header has; absent when the file is unreadable
        self.columns: dict[str, set[str]] = {}
        #: extract file name -> rows DuckDB could not read (already problems)
        self.rejected_rows: dict[str, int] = {}
        self.as_of: date | None = None
        self.description = ""
        self.services_block: dict = {}
        #: service -> (region, compare_as), worked out by check_services_block
        self.service_info: dict[str, tuple[str | None, str | None]] = {}
        self.manifest: dict[str, dict] = {}
        self._load_vocabulary()

    # -- reading -------------------------------------------------------------------------------
    def _load_vocabulary(self) -> None:
        """A lookup table of every word (lower case) each vocab or boolean column accepts."""
        self.con.execute("CREATE TEMP TABLE vocabulary (file VARCHAR, col VARCHAR, word VARCHAR)")
        rows = []
        for spec in EXTRACT_FILES:
            for column in spec.columns:
                words = (
                    [w.lower() for w in column.vocabulary]
                    if column.kind == "vocab"
                    else list(BOOLEAN_WORDS)
                    if column.kind == "bool"
                    else []
                )
                rows += [(spec.name, column.name, word) for word in words]
        self.con.executemany("INSERT INTO vocabulary VALUES (?, ?, ?)", rows)

    def _readable(self, name: str, path: Path, required: bool) -> bool:
        """Whether to read ``path``: a regular file within the size limit. A required file that is
        missing, and anything else that is there but not a readable file, is a problem."""
        why = _not_regular(path)
        if why == "missing":
            if required:
                self.problems.append(Problem(name, 0, "-", "required file is missing"))
            return False
        if why:
            self.problems.append(Problem(name, 0, "-", f"is {why}, not a regular file: only regular files are read"))
            return False
        size = path.stat().st_size
        if name == EXTRACT_JSON and size > EXTRACT_JSON_BYTES:
            self.problems.append(
                Problem(
                    name,
                    0,
                    "-",
                    f"is {_size_words(size)}, more than the {_size_words(EXTRACT_JSON_BYTES)} extract.json may be",
                )
            )
            return False
        if size > self.limits.max_file_bytes:
            limit = _size_words(self.limits.max_file_bytes)
            self.problems.append(
                Problem(
                    name,
                    0,
                    "-",
                    f"is {_size_words(size)}, more than the {limit} a file may be "
                    "(the limit is set by DASHBOARD_INGEST_MAX_FILE_MB)",
                )
            )
            return False
        return True

    def read_extract_json(self) -> None:
        path = self.folder / EXTRACT_JSON
        if not self._readable(EXTRACT_JSON, path, required=True):
            return
        try:
            text = path.read_text(encoding="utf-8-sig")
            meta = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(EXTRACT_JSON, getattr(exc, "lineno", 1), "-", f"not valid JSON: {exc}"))
            return
        if _holds_nul(meta):
            self.problems.append(Problem(EXTRACT_JSON, 1, "-", "holds a NUL character: NUL is not text"))
            return
        if not isinstance(meta, dict):
            self.problems.append(Problem(EXTRACT_JSON, 1, "-", "must be a JSON object"))
            return
        as_of = meta.get("as_of")
        try:
            if not isinstance(as_of, str) or len(as_of) != 10:
                raise ValueError
            self.as_of = date.fromisoformat(as_of)
        except ValueError:
            self.problems.append(
                Problem(
                    EXTRACT_JSON,
                    1,
                    "as_of",
                    f"{as_of!r} is not a date (YYYY-MM-DD)" if as_of else "required value is missing",
                )
            )
        description = meta.get("description", "")
        self.description = description if isinstance(description, str) else str(description)
        if len(self.description) > FREE_TEXT_LENGTH:
            self.problems.append(
                Problem(
                    EXTRACT_JSON,
                    1,
                    "description",
                    f"is {len(self.description):,} characters long: at most {FREE_TEXT_LENGTH:,} are allowed",
                )
            )
        self.services_block = self._object(meta, "services")
        self.manifest = self._object(meta, "files")
        self._check_manifest_entries()

    def _object(self, meta: dict, key: str) -> dict:
        value = meta.get(key, {})
        if isinstance(value, dict):
            return value
        self.problems.append(Problem(EXTRACT_JSON, 1, key, f"must be a JSON object, not {_quoted(value)}"))
        return {}

    def _check_manifest_entries(self) -> None:
        """``files``: {file name: {"rows": data rows, "sha256": hex digest of its bytes}}, each key optional."""
        for name, entry in list(self.manifest.items()):
            where = f"{name}: " if name in FILES else ""
            if name not in FILES:
                problem = f"{_quoted(name)} is not a file of the extract; valid choices: {', '.join(FILES)}"
            elif not isinstance(entry, dict):
                problem = "must be an object with rows and/or sha256"
            elif set(entry) - {"rows", "sha256"}:
                problem = f"unknown key {_quoted(sorted(set(entry) - {'rows', 'sha256'})[0])}; valid keys: rows, sha256"
            elif "rows" in entry and (type(entry["rows"]) is not int or entry["rows"] < 0):
                problem = f"rows must be a whole number of at least 0, not {_quoted(entry['rows'])}"
            elif "sha256" in entry and not (
                isinstance(entry["sha256"], str) and SHA256.fullmatch(entry["sha256"].lower())
            ):
                problem = f"sha256 must be 64 hexadecimal digits, not {_quoted(entry['sha256'])}"
            else:
                continue
            self.problems.append(Problem(EXTRACT_JSON, 1, "files", where + problem))
            del self.manifest[name]

    def read_file(self, spec: ExtractFile) -> None:
        """Load one CSV as trimmed text into ``text_<table>``, one column per spec column, plus its line."""
        path = self.folder / spec.name
        if not self._readable(spec.name, path, spec.required):
            return
        try:
            with path.open("rb") as handle:
                first = handle.readline(HEADER_BYTES + 1)
            if len(first) > HEADER_BYTES:
                self.problems.append(
                    Problem(spec.name, 1, "-", f"the header row is longer than {HEADER_BYTES:,} bytes")
                )
                return
            header = next(csv.reader([first.decode("utf-8-sig")]), None)
        except UnicodeDecodeError:
            self.problems.append(Problem(spec.name, 1, "-", "the header is not UTF-8 text"))
            return
        if not header:
            self.problems.append(Problem(spec.name, 1, "-", "the file is empty: it needs a header row"))
            return
        layout = _layout(path)
        if layout.nul_line is not None:
            self.problems.append(Problem(spec.name, layout.nul_line, "-", "holds a NUL byte: NUL is not text"))
            return
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            key = name.strip().lower()
            if key in positions and key in {c.name for c in spec.columns}:
                self.problems.append(Problem(spec.name, 1, key, "column appears more than once"))
            positions.setdefault(key, index)
        mapping = {}
        for column in spec.columns:
            if column.name in positions:
                mapping[column.name] = f"c{positions[column.name]}"
            elif column.required:
                self.problems.append(Problem(spec.name, 1, column.name, "required column is missing"))
        names = [f"c{i}" for i in range(len(header))]
        self.progress(f"Reading {spec.name}")
        # A value in quotes may hold a line break, which moves every later row down a line.
        breaks = " OR ".join(f"contains({n}, chr(10))" for n in names) if layout.quoted else "false"
        # One trimmed text column per spec column (NULL when empty or absent), with the row's line
        # (the header is line 1). The path and names are bound; table names are our own constants.
        cells = ", ".join(
            f"NULLIF(TRIM({mapping[c.name]}), '') AS {c.name}"
            if c.name in mapping
            else f"CAST(NULL AS VARCHAR) AS {c.name}"
            for c in spec.columns
        )
        try:
            self.con.execute(
                f"""CREATE TEMP TABLE text_{spec.table} AS
                    SELECT row_number() OVER () + 1 AS line, ({breaks}) AS has_break, {cells}
                    FROM read_csv($path, header = true, names = $names, all_varchar = true,
                                  delim = ',', quote = '"', escape = '"', comment = '',
                                  store_rejects = true, ignore_errors = true,
                                  rejects_table = 'rejects_{spec.table}', rejects_scan = 'scan_{spec.table}')""",
                {"path": str(path), "names": names},
            )
        except (duckdb.OutOfMemoryException, duckdb.IOException):
            raise  # not the file's fault: load.py says so plainly
        except duckdb.Error as exc:
            line, message = _csv_fault(path) or (0, str(exc).splitlines()[0])
            self.problems.append(Problem(spec.name, line, "-", f"cannot be read as CSV: {message}"))
            return
        rejected = self.con.execute(
            f"SELECT DISTINCT line, error_message FROM rejects_{spec.table} ORDER BY line"
        ).fetchall()
        irregular = (
            rejected
            or layout.blank_lines
            or self.con.execute(f"SELECT bool_or(has_break) FROM text_{spec.table}").fetchone()[0]
        )
        if irregular:
            self._number_lines_exactly(spec, path, dict(rejected))
        self.columns[spec.name] = set(mapping)
        self.rejected_rows[spec.name] = len({line for line, _ in rejected})

    def _number_lines_exactly(self, spec: ExtractFile, path: Path, rejected: dict[int, str]) -> None:
        """Give every row its true line in the file when the quick count (row + 1) would be wrong:
        after blank lines, values holding line breaks, or rows DuckDB rejected (wrong number of
        fields, bad bytes), which become problems. DuckDB numbers a rejected row by the rows and
        blank lines before it; one pass of Python's csv module maps that to the line in the file,
        written to DuckDB in batches so memory stays bounded whatever the file's size."""
        self.con.execute("CREATE OR REPLACE TEMP TABLE line_map (line BIGINT, file_line BIGINT)")
        rows, lines, rejected_lines, accepted = [], [], {}, 0

        def flush():
            self.con.execute(
                "INSERT INTO line_map SELECT unnest($rows) AS line, unnest($lines) AS file_line",
                {"rows": rows, "lines": lines},
            )
            rows.clear()
            lines.clear()

        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            row_line, counted = 2, 1  # the line a row starts on; DuckDB's count of rows so far
            for record in reader:
                counted += 1
                if record and counted in rejected:
                    rejected_lines[counted] = row_line
                elif record:
                    accepted += 1
                    rows.append(accepted + 1)
                    lines.append(row_line)
                    if len(rows) >= LINE_MAP_BATCH:
                        flush()
                row_line = reader.line_num + 1
        flush()
        for counted, message in rejected.items():
            self.problems.append(
                Problem(spec.name, rejected_lines.get(counted, counted), "-", f"malformed row: {message}")
            )
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE text_{spec.table} AS
            SELECT coalesce(m.file_line, t.line) AS line, t.* EXCLUDE (line)
            FROM text_{spec.table} t LEFT JOIN line_map m USING (line)""")

    # -- checking ------------------------------------------------------------------------------
    def _column_checks(self, spec: ExtractFile, column: Column) -> list[str]:
        """SELECTs yielding (line, message) for every bad cell of one column."""
        v = column.name
        table = f"text_{spec.table}"
        checks = []
        if column.required:
            checks.append(f"SELECT line, 'required value is missing' FROM {table} WHERE {v} IS NULL")
        if column.kind in ("text", "id"):
            checks.append(f"""SELECT line, 'is ' || format('{{:,}}', length({v})) || ' characters long: at most '
                                     || '{column.max_length:,} are allowed'
                              FROM {table} WHERE length({v}) > {column.max_length}""")
        elif column.kind == "date":
            checks.append(
                f"""SELECT line, {_shown(v)} || ' is not a date (YYYY-MM-DD)' FROM {table}
                    WHERE {v} IS NOT NULL AND (NOT regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')
                          OR try_strptime({v}, '%Y-%m-%d') IS NULL)"""
            )
            checks.append(
                f"""SELECT line, 'date ' || {v} || ' is before 1 January 1990: no record in an extract is that old'
                    FROM {table} WHERE try_cast({v} AS DATE) < DATE '{EARLIEST_DATE}'"""
            )
            if self.as_of is not None:
                checks.append(
                    f"""SELECT line, 'date ' || {v} || ' is after the extract''s as_of date ({self.as_of})'
                        FROM {table} WHERE try_cast({v} AS DATE) > $as_of"""
                )
        elif column.kind == "int":
            checks.append(f"""SELECT line, {_shown(v)} || ' is not a whole number' FROM {table}
                              WHERE {v} IS NOT NULL AND NOT regexp_full_match({v}, '-?\\d{{1,12}}')""")
            low = column.minimum if column.minimum is not None else -(10**12)
            high = column.maximum if column.maximum is not None else 10**12
            described = (
                f"between {column.minimum} and {column.maximum}"
                if column.maximum is not None
                else f"at least {column.minimum}"
            )
            checks.append(f"""SELECT line, '''' || {v} || ''' must be {described}' FROM {table}
                              WHERE regexp_full_match({v}, '-?\\d{{1,12}}')
                                AND CAST({v} AS BIGINT) NOT BETWEEN {low} AND {high}""")
        elif column.kind in ("vocab", "bool"):
            allowed = ", ".join(column.vocabulary) if column.kind == "vocab" else "true/false, 1/0, yes/no, y/n"
            checks.append(
                f"""SELECT line, {_shown(v)} || ' is not one of: {allowed}' FROM {table}
                    WHERE {v} IS NOT NULL AND lower({v}) NOT IN
                        (SELECT word FROM vocabulary WHERE file = '{spec.name}' AND col = '{column.name}')"""
            )
        return checks

    def _date_order_checks(self, spec: ExtractFile, column: Column, present: set[str]) -> list[str]:
        """A date not before (and not after) another date of the same row; an optional date it
        follows must be set when it is."""
        v, table, checks = column.name, f"text_{spec.table}", []
        earlier = column.not_before
        if earlier:
            if not spec.column(earlier).required:
                checks.append(f"""SELECT line, '{v} is set but {earlier} is missing' FROM {table}
                                  WHERE {v} IS NOT NULL AND {earlier if earlier in present else "NULL"} IS NULL""")
            if earlier in present:
                checks.append(f"""SELECT line, '{v} ' || {v} || ' is before {earlier} ' || {earlier} FROM {table}
                                  WHERE try_cast({v} AS DATE) < try_cast({earlier} AS DATE)""")
        later = column.not_after
        if later and later in present:
            checks.append(f"""SELECT line, '{v} ' || {v} || ' is after {later} ' || {later} FROM {table}
                              WHERE try_cast({v} AS DATE) > try_cast({later} AS DATE)""")
        return checks

    def _problems_from(self, spec_name: str, column: str, selects: list[str], params: dict | None = None) -> None:
        if not selects:
            return
        params = {**({"as_of": self.as_of} if any("$as_of" in s for s in selects) else {}), **(params or {})}
        rows = self.con.execute(" UNION ALL ".join(selects), params).fetchall()
        self.problems += [Problem(spec_name, int(line), column, message) for line, message in rows]

    def check_file(self, spec: ExtractFile) -> None:
        present = self.columns.get(spec.name)
        if present is None:
            return
        self.progress(f"Checking {spec.name}")
        for column in spec.columns:
            if column.name in present:
                self._problems_from(
                    spec.name,
                    column.name,
                    self._column_checks(spec, column) + self._date_order_checks(spec, column, present),
                )
        if spec.id_column and spec.id_column in present:
            v = spec.id_column
            self._problems_from(
                spec.name,
                v,
                [
                    f"""
                SELECT line, 'duplicate {v} ' || {_shown(v)} || ' (first on line ' || first_line || ')'
                FROM (SELECT line, {v}, min(line) OVER (PARTITION BY {v}) AS first_line
                      FROM text_{spec.table} WHERE {v} IS NOT NULL)
                WHERE line > first_line"""
                ],
            )
        if spec.key and all(c in present or not spec.column(c).required for c in spec.key.columns):
            self._check_key(spec, present)

    def _check_key(self, spec: ExtractFile, present: set[str]) -> None:
        """No two rows with the same key (ids as written; words and names in any case; numbers and
        dates by value)."""

        def value(name: str) -> str:
            if name not in present:
                return "NULL"
            kind = spec.column(name).kind
            return {"id": name, "int": f"try_cast({name} AS BIGINT)", "date": f"try_cast({name} AS DATE)"}.get(
                kind, f"lower({name})"
            )

        names = spec.key.columns
        described = ", ".join(names[:-1]) + " and " + names[-1]
        reason = f": {spec.key.reason}" if spec.key.reason else ""
        self._problems_from(
            spec.name,
            "-",
            [
                f"""
            SELECT line, 'duplicate row for the same {described} (first on line ' || first_line || '){reason}'
            FROM (SELECT line, min(line) OVER (PARTITION BY {", ".join(value(n) for n in names)}) AS first_line
                  FROM text_{spec.table})
            WHERE line > first_line"""
            ],
        )

    def _ref(self, spec: ExtractFile, column: str, alias: str = "") -> str | None:
        """A spec column for SQL, or None when the file or column is absent."""
        if column not in self.columns.get(spec.name, ()):
            return None
        return f"{alias}.{column}" if alias else column

    def check_links(self) -> None:
        """Ids that point nowhere, and links to another child's offence or outcome."""
        for spec in EXTRACT_FILES:
            for link in spec.links:
                target = FILES[link.target]
                ref, target_id = self._ref(spec, link.column), self._ref(target, target.id_column)
                if not (ref and target_id):
                    continue
                self._problems_from(
                    spec.name,
                    link.column,
                    [
                        f"""
                    SELECT line, '{link.column} ' || {_shown(ref)} || ' is not in {target.name}'
                    FROM text_{spec.table} WHERE {ref} IS NOT NULL
                      AND {ref} NOT IN (SELECT {target_id} FROM text_{target.table} WHERE {target_id} IS NOT NULL)"""
                    ],
                )
                child, target_child = self._ref(spec, "child_id", "t"), self._ref(target, "child_id")
                if link.same_child and child and target_child:
                    self._problems_from(
                        spec.name,
                        link.column,
                        [
                            f"""
                        SELECT t.line, '{target.table} ' || {_shown(f"t.{link.column}")} || ' belongs to child '
                                       || {_shown("f.child")} || ', not ' || {_shown(child)}
                        FROM text_{spec.table} t
                        JOIN (SELECT {target_id} AS id, min({target_child}) AS child
                              FROM text_{target.table} GROUP BY 1) f ON f.id = t.{link.column}
                        WHERE f.child IS DISTINCT FROM {child}"""
                        ],
                    )

    def _child_of(self, spec: ExtractFile) -> tuple[str, str] | None:
        """(joins, SQL for the child_id) of each row of ``spec``: its own child_id, or its
        programme's (assessments); None when the file has neither."""
        if self._ref(spec, "child_id"):
            return "", "t.child_id"
        for link in spec.links:
            target = FILES[link.target]
            if self._ref(spec, link.column) and self._ref(target, "child_id") and self._ref(target, target.id_column):
                return (
                    f"JOIN (SELECT {target.id_column} AS id, min(child_id) AS child_id FROM text_{target.table} "
                    f"GROUP BY 1) via ON via.id = t.{link.column}",
                    "via.child_id",
                )
        return None

    def check_ages(self) -> None:
        """Nothing recorded about a child before their birth, and their age on every date they are
        recorded at within AGE_AT_EVENT: a date outside it is a mistyped date or date of birth."""
        if not (self._ref(CHILDREN, "child_id") and self._ref(CHILDREN, "date_of_birth")):
            return
        youngest, oldest = AGE_AT_EVENT
        for spec in EXTRACT_FILES:
            child = self._child_of(spec)
            if child is None:
                continue
            joins, child_id = child
            for column in spec.columns:
                v = f"t.{column.name}"
                if not (column.child_event and self._ref(spec, column.name)):
                    continue
                self._problems_from(
                    spec.name,
                    column.name,
                    [
                        f"""
                    SELECT line, CASE
                        WHEN d < born THEN '{column.name} ' || d || ' is before the child''s date_of_birth '
                                           || born || ' (children.csv line ' || child_line || ')'
                        ELSE 'the child was ' || age || ' on {column.name} ' || d || ' (date_of_birth ' || born
                             || ', children.csv line ' || child_line || '): a child is {youngest} to {oldest} '
                             || 'at anything recorded about them' END
                    FROM (SELECT t.line, try_cast({v} AS DATE) AS d, c.born, c.child_line,
                                 date_sub('year', c.born, try_cast({v} AS DATE)) AS age
                          FROM text_{spec.table} t {joins}
                          JOIN (SELECT child_id, min(try_cast(date_of_birth AS DATE)) AS born, min(line) AS child_line
                                FROM text_child GROUP BY 1) c ON c.child_id = {child_id})
                    WHERE d < born OR age NOT BETWEEN {youngest} AND {oldest}"""
                    ],
                )

    def check_rules(self) -> None:
        """Rules between columns and files: custody releases, hours attended, assessment and victim
        dates against their programme's and offence's, board meetings of the extract's own services."""

        def has(table: str, *columns: str) -> bool:
            return all(self._ref(FILES[table], c) for c in columns)

        if has("programmes.csv", "release_date", "disposal_type"):
            custodial = ", ".join(f"'{t.lower()}'" for t in config.CUSTODIAL_TYPES)
            every = ", ".join(f"'{t.lower()}'" for t in config.DISPOSAL_TYPES)
            self._problems_from(
                "programmes.csv",
                "release_date",
                [
                    f"""
                SELECT line, 'release_date is set but disposal_type ' || upper(disposal_type)
                             || ' is not a custodial sentence ({", ".join(config.CUSTODIAL_TYPES)})'
                FROM text_programme WHERE release_date IS NOT NULL
                  AND lower(disposal_type) IN ({every}) AND lower(disposal_type) NOT IN ({custodial})"""
                ],
            )
        if has("assessments.csv", "ete_hours_offered", "ete_hours_attended"):
            whole = "regexp_full_match({0}, '\\d{{1,12}}')"
            self._problems_from(
                "assessments.csv",
                "ete_hours_attended",
                [
                    f"""
                SELECT line, 'ete_hours_attended ' || ete_hours_attended || ' is more than ete_hours_offered '
                             || ete_hours_offered
                FROM text_assessment
                WHERE {whole.format("ete_hours_attended")} AND {whole.format("ete_hours_offered")}
                  AND CAST(ete_hours_attended AS BIGINT) > CAST(ete_hours_offered AS BIGINT)"""
                ],
            )
        if has("assessments.csv", "programme_id", "point", "assessment_date") and has(
            "programmes.csv", "programme_id", "start_date"
        ):
            self._problems_from(
                "assessments.csv",
                "assessment_date",
                [
                    f"""
                SELECT a.line, 'END assessment_date ' || a.assessment_date || ' is before the start_date '
                               || p.start_date || ' of programme ' || {_shown("a.programme_id")}
                FROM text_assessment a
                JOIN (SELECT programme_id, min(start_date) AS start_date FROM text_programme GROUP BY 1) p
                  USING (programme_id)
                WHERE lower(a.point) = 'end'
                  AND try_cast(a.assessment_date AS DATE) < try_cast(p.start_date AS DATE)"""
                ],
            )
        if has("victims.csv", "offence_id", "contact_date") and has("offences.csv", "offence_id", "offence_date"):
            self._problems_from(
                "victims.csv",
                "contact_date",
                [
                    """
                SELECT v.line, 'contact_date ' || v.contact_date || ' is before the offence''s offence_date '
                               || f.offence_date
                FROM text_victim v
                JOIN (SELECT offence_id, min(offence_date) AS offence_date FROM text_offence GROUP BY 1) f
                  USING (offence_id)
                WHERE try_cast(v.contact_date AS DATE) < try_cast(f.offence_date AS DATE)"""
                ],
            )
        services = self.services()
        if has("board_meetings.csv", "yjs") and services:
            self._problems_from(
                "board_meetings.csv",
                "yjs",
                [
                    f"""
                SELECT line, 'yjs ' || {_shown("yjs")} || ' is not a service of this extract (its services: '
                             || $services || '): loading replaces only the services the extract holds'
                FROM text_board_meeting WHERE yjs IS NOT NULL AND NOT list_contains($names, yjs)"""
                ],
                {"services": ", ".join(services), "names": services},
            )

    def services(self) -> list[str]:
        """The services the extract holds: every yjs of children.csv and population.csv."""
        parts = [f"SELECT yjs FROM text_{spec.table}" for spec in (CHILDREN, POPULATION) if self._ref(spec, "yjs")]
        if not parts:
            return []
        return [
            r[0]
            for r in self.con.execute(
                f"SELECT DISTINCT yjs FROM ({' UNION '.join(parts)}) WHERE yjs IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]

    def check_services_block(self) -> None:
        """extract.json's ``services``: for services of this extract, a YJB region and a published
        service to compare with, spelt as in data/public/yjs_areas.csv (any case)."""
        services = set(self.services())
        published = _published_services()
        regions = {region.lower(): region for _, region in published.values()}
        for yjs in sorted(services):
            own = published.get(yjs.lower())
            self.service_info[yjs] = (own[1], own[0]) if own else (None, None)
        for yjs, entry in self.services_block.items():

            def problem(message: str, yjs: str = yjs) -> None:
                self.problems.append(Problem(EXTRACT_JSON, 1, "services", f"{_quoted(yjs)}: {message}"))

            if yjs not in services:
                problem(f"is not a service of this extract; its services: {', '.join(sorted(services)) or 'none'}")
                continue
            if not isinstance(entry, dict):
                problem("must be an object with region and/or compare_as")
                continue
            unknown = sorted(set(entry) - {"region", "compare_as"})
            if unknown:
                problem(f"unknown key {_quoted(unknown[0])}; valid keys: region, compare_as")
            region, compare_as = self.service_info[yjs]
            if "region" in entry:
                region = regions.get(str(entry["region"]).lower())
                if region is None:
                    problem(
                        f"region {_quoted(entry['region'])} is not a YJB region; valid choices: "
                        + ", ".join(sorted(regions.values()))
                    )
            if "compare_as" in entry:
                found = published.get(str(entry["compare_as"]).lower())
                compare_as = found[0] if found else None
                if found is None:
                    near = sorted(name for name, r in published.values() if r == region) if region else []
                    choices = near or sorted(name for name, _ in published.values())
                    problem(
                        f"compare_as {_quoted(entry['compare_as'])} is not a service in the published tables; "
                        f"valid choices{' in ' + region if near else ''}: {', '.join(choices)}"
                    )
            self.service_info[yjs] = (region, compare_as)

    def check_extract_whole(self) -> None:
        """The extract has children, and its files are those its manifest describes."""
        if self._ref(CHILDREN, "child_id") and not self.con.execute("SELECT count(*) FROM text_child").fetchone()[0]:
            self.problems.append(
                Problem(CHILDREN.name, 0, "-", "the extract holds no children: children.csv has only its header")
            )
        for name, entry in self.manifest.items():
            path = self.folder / name
            if name not in self.columns and _not_regular(path) == "missing":
                self.problems.append(Problem(name, 0, "-", "is listed in extract.json's files but is missing"))
                continue
            if "rows" in entry and name in self.columns:
                rows = self.rows(FILES[name])
                if rows != entry["rows"]:
                    self.problems.append(
                        Problem(
                            name,
                            0,
                            "-",
                            f"has {rows:,} data rows but extract.json's files "
                            f"says {entry['rows']:,}: the file may have been cut short",
                        )
                    )
            if "sha256" in entry and _not_regular(path) is None:
                digest = _sha256(path)
                if digest != entry["sha256"].lower():
                    self.problems.append(
                        Problem(
                            name,
                            0,
                            "-",
                            f"its SHA-256 is {digest[:12]}... but extract.json's "
                            f"files says {entry['sha256'][:12]}...: it is not the file described",
                        )
                    )

    def rows(self, spec: ExtractFile) -> int:
        """Data rows of a file that was read (rows DuckDB could not read included)."""
        count = self.con.execute(f"SELECT count(*) FROM text_{spec.table}").fetchone()[0]
        return count + self.rejected_rows.get(spec.name, 0)

    # -- staging -------------------------------------------------------------------------------
    def _typed(self, spec: ExtractFile, column: Column) -> str:
        """SQL for one column's clean, typed value (NULL when the column is absent)."""
        v = f"t.{column.name}"
        if column.kind == "date":
            return f"CAST({v} AS DATE)"
        if column.kind == "int":
            return f"CAST({v} AS BIGINT)"
        # Every word is one of the vocabulary's by now: a CASE over them (our own constants) gives its
        # canonical form without a join per column (the assessments file has 17 such columns).
        if column.kind == "bool":
            true = ", ".join(f"'{w}'" for w, value in BOOLEAN_WORDS.items() if value)
            return f"CASE WHEN {v} IS NOT NULL THEN lower({v}) IN ({true}) END"
        if column.kind == "vocab":
            words = " ".join(f"WHEN '{w.lower()}' THEN '{w}'" for w in column.vocabulary)
            return f"CASE lower({v}) {words} END"
        return v

    def stage(self, spec: ExtractFile) -> None:
        """Create ``stage_<table>`` with the spec's columns, clean and typed: a view, read once by
        derive.py (which keeps what it reads more than once), so rows are not copied again here."""
        if spec.name not in self.columns:
            columns = ", ".join(f"{self._absent_type(c)} AS {c.name}" for c in spec.columns)
            self.con.execute(f"CREATE TEMP VIEW stage_{spec.table} AS SELECT {columns} WHERE false")
            return
        columns = ", ".join(f"{self._typed(spec, c)} AS {c.name}" for c in spec.columns)
        self.con.execute(f"CREATE TEMP VIEW stage_{spec.table} AS SELECT {columns} FROM text_{spec.table} t")

    @staticmethod
    def _absent_type(column: Column) -> str:
        kind = {"bool": "BOOLEAN", "date": "DATE", "int": "BIGINT"}.get(column.kind, "VARCHAR")
        return f"CAST(NULL AS {kind})"

    def run(self) -> StagedExtract:
        """Validate everything; raise ExtractRejected, or return the staged extract."""
        if _not_regular(self.folder) != "a folder":
            raise ExtractRejected([Problem(str(self.folder), 0, "-", "is not a folder")])
        self.read_extract_json()
        for spec in EXTRACT_FILES:
            self.read_file(spec)
        for spec in EXTRACT_FILES:
            self.check_file(spec)
        self.check_links()
        self.check_ages()
        self.check_rules()
        self.check_services_block()
        self.check_extract_whole()
        if self.problems:
            raise ExtractRejected(self.problems)
        for spec in EXTRACT_FILES:
            self.stage(spec)
        return StagedExtract(
            self.con,
            self.as_of,
            self.description,
            {spec.name: self.rows(spec) for spec in EXTRACT_FILES if spec.name in self.columns},
            self.service_info,
            self.temp_folder,
        )

    def close(self) -> None:
        _discard(self.con, self.temp_folder)


def stage_extract(folder: Path, progress: Progress | None = None, limits: IngestLimits | None = None) -> StagedExtract:
    """Validate an extract folder; return it staged (call ``close()`` when done), or raise
    ExtractRejected with every problem."""
    stager = Stager(folder, progress, limits)
    try:
        return stager.run()
    except BaseException:
        stager.close()
        raise
