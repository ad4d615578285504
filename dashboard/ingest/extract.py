"""Read and validate an extract folder inside DuckDB, then stage it as typed tables.

Every file is read as text (``all_varchar``) with its line numbers, and every rule of the extract
format becomes a SQL query over it, so a 10M-row extract validates in seconds. Nothing is written
to the dashboard database here: a rejected extract never touches it.
"""

from __future__ import annotations

import csv
import json
import mmap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb

from .spec import (BOOLEAN_WORDS, CHILDREN, EXTRACT_FILES, EXTRACT_JSON, OFFENCES, OUTCOMES, POPULATION,
                   PROGRAMMES, Column, ExtractFile)

Progress = Callable[[str], None]


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


def _layout(path: Path) -> tuple[bool, bool]:
    """Whether a file has any quote character, and any blank line: either can move rows off the
    line DuckDB's row count would give them. One scan at memory speed."""
    if path.stat().st_size == 0:
        return False, False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b'"') >= 0, data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0


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


class Stager:
    """Validates one extract folder into an in-memory DuckDB and keeps the typed tables."""

    def __init__(self, folder: Path, progress: Progress | None = None):
        self.folder = Path(folder)
        self.progress = progress or (lambda message: None)
        self.con = duckdb.connect()
        # Ingest reports its own progress: DuckDB's bar would print into the command's output.
        self.con.execute("SET enable_progress_bar = false")
        self.problems: list[Problem] = []
        #: extract file name -> the spec columns its header has; absent when the file is unreadable
        self.columns: dict[str, set[str]] = {}
        self.as_of: date | None = None
        self.description = ""
        self._load_vocabulary()

    # -- reading -------------------------------------------------------------------------------
    def _load_vocabulary(self) -> None:
        """A lookup table of every word each vocab or boolean column accepts, with its canonical form."""
        self.con.execute("CREATE TEMP TABLE vocabulary (file VARCHAR, col VARCHAR, word VARCHAR, canonical VARCHAR)")
        rows = []
        for spec in EXTRACT_FILES:
            for column in spec.columns:
                if column.kind == "vocab":
                    rows += [(spec.name, column.name, w.lower(), w) for w in column.vocabulary]
                elif column.kind == "bool":
                    rows += [(spec.name, column.name, w, str(v).lower()) for w, v in BOOLEAN_WORDS.items()]
        self.con.executemany("INSERT INTO vocabulary VALUES (?, ?, ?, ?)", rows)

    def read_extract_json(self) -> None:
        path = self.folder / EXTRACT_JSON
        if not path.is_file():
            self.problems.append(Problem(EXTRACT_JSON, 0, "-", "required file is missing"))
            return
        try:
            meta = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(EXTRACT_JSON, getattr(exc, "lineno", 1), "-", f"not valid JSON: {exc}"))
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
            self.problems.append(Problem(EXTRACT_JSON, 1, "as_of",
                                         f"{as_of!r} is not a date (YYYY-MM-DD)" if as_of else "required value is missing"))
        description = meta.get("description", "")
        self.description = description if isinstance(description, str) else str(description)

    def read_file(self, spec: ExtractFile) -> None:
        """Load one CSV as trimmed text into ``text_<table>``, one column per spec column, plus its line."""
        path = self.folder / spec.name
        if not path.is_file():
            if spec.required:
                self.problems.append(Problem(spec.name, 0, "-", "required file is missing"))
            return
        try:
            with path.open("rb") as handle:
                header = next(csv.reader([handle.readline().decode("utf-8-sig")]), None)
        except UnicodeDecodeError:
            self.problems.append(Problem(spec.name, 1, "-", "the header is not UTF-8 text"))
            return
        if not header:
            self.problems.append(Problem(spec.name, 1, "-", "the file is empty: it needs a header row"))
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
        quoted, blank_lines = _layout(path)
        # A value in quotes may hold a line break, which moves every later row down a line.
        breaks = " OR ".join(f"contains({n}, chr(10))" for n in names) if quoted else "false"
        # One trimmed text column per spec column (NULL when empty or absent), with the row's line
        # (the header is line 1). The path and names are bound; table names are our own constants.
        cells = ", ".join(f"NULLIF(TRIM({mapping[c.name]}), '') AS {c.name}" if c.name in mapping
                          else f"CAST(NULL AS VARCHAR) AS {c.name}" for c in spec.columns)
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
        except duckdb.Error as exc:
            line, message = _csv_fault(path) or (0, str(exc).splitlines()[0])
            self.problems.append(Problem(spec.name, line, "-", f"cannot be read as CSV: {message}"))
            return
        rejected = self.con.execute(
            f"SELECT DISTINCT line, error_message FROM rejects_{spec.table} ORDER BY line").fetchall()
        irregular = rejected or blank_lines or self.con.execute(
            f"SELECT bool_or(has_break) FROM text_{spec.table}").fetchone()[0]
        if irregular:
            self._number_lines_exactly(spec, path, dict(rejected))
        self.columns[spec.name] = set(mapping)

    def _number_lines_exactly(self, spec: ExtractFile, path: Path, rejected: dict[int, str]) -> None:
        """Give every row its true line in the file when the quick count (row + 1) would be wrong:
        after blank lines, values holding line breaks, or rows DuckDB rejected (wrong number of
        fields, bad bytes), which become problems. DuckDB numbers a rejected row by the rows and
        blank lines before it; one pass of Python's csv module maps that to the line in the file."""
        lines, rejected_lines, accepted = [], {}, 0
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            row_line, counted = 2, 1          # the line a row starts on; DuckDB's count of rows so far
            for record in reader:
                counted += 1
                if record and counted in rejected:
                    rejected_lines[counted] = row_line
                elif record:
                    accepted += 1
                    lines.append((accepted, row_line))
                row_line = reader.line_num + 1
        for counted, message in rejected.items():
            self.problems.append(Problem(spec.name, rejected_lines.get(counted, counted), "-",
                                         f"malformed row: {message}"))
        self.con.execute("CREATE OR REPLACE TEMP TABLE line_map (line BIGINT, file_line BIGINT)")
        self.con.execute("INSERT INTO line_map SELECT unnest($rows) AS line, unnest($lines) AS file_line",
                         {"rows": [n + 1 for n, _ in lines], "lines": [line for _, line in lines]})
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
        if column.kind == "date":
            checks.append(
                f"""SELECT line, '''' || {v} || ''' is not a date (YYYY-MM-DD)' FROM {table}
                    WHERE {v} IS NOT NULL AND (NOT regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')
                          OR try_strptime({v}, '%Y-%m-%d') IS NULL)""")
            if self.as_of is not None:
                checks.append(
                    f"""SELECT line, 'date ' || {v} || ' is after the extract''s as_of date ({self.as_of})'
                        FROM {table} WHERE try_cast({v} AS DATE) > $as_of""")
        elif column.kind == "int":
            checks.append(f"""SELECT line, '''' || {v} || ''' is not a whole number' FROM {table}
                              WHERE {v} IS NOT NULL AND NOT regexp_full_match({v}, '-?\\d{{1,12}}')""")
            low = column.minimum if column.minimum is not None else -10**12
            high = column.maximum if column.maximum is not None else 10**12
            described = (f"between {column.minimum} and {column.maximum}" if column.maximum is not None
                         else f"at least {column.minimum}")
            checks.append(f"""SELECT line, '''' || {v} || ''' must be {described}' FROM {table}
                              WHERE regexp_full_match({v}, '-?\\d{{1,12}}')
                                AND CAST({v} AS BIGINT) NOT BETWEEN {low} AND {high}""")
        elif column.kind in ("vocab", "bool"):
            allowed = ", ".join(column.vocabulary) if column.kind == "vocab" else "true/false, 1/0, yes/no, y/n"
            checks.append(
                f"""SELECT line, '''' || {v} || ''' is not one of: {allowed}' FROM {table}
                    WHERE {v} IS NOT NULL AND lower({v}) NOT IN
                        (SELECT word FROM vocabulary WHERE file = '{spec.name}' AND col = '{column.name}')""")
        return checks

    def _problems_from(self, spec_name: str, column: str, selects: list[str]) -> None:
        if not selects:
            return
        params = {"as_of": self.as_of} if any("$as_of" in s for s in selects) else {}
        rows = self.con.execute(" UNION ALL ".join(selects), params).fetchall()
        self.problems += [Problem(spec_name, int(line), column, message) for line, message in rows]

    def check_file(self, spec: ExtractFile) -> None:
        present = self.columns.get(spec.name)
        if present is None:
            return
        self.progress(f"Checking {spec.name}")
        for column in spec.columns:
            if column.name in present:
                self._problems_from(spec.name, column.name, self._column_checks(spec, column))
        if spec.id_column and spec.id_column in present:
            v = spec.id_column
            self._problems_from(spec.name, v, [f"""
                SELECT line, 'duplicate {v} ''' || {v} || ''' (first on line ' || first_line || ')'
                FROM (SELECT line, {v}, min(line) OVER (PARTITION BY {v}) AS first_line
                      FROM text_{spec.table} WHERE {v} IS NOT NULL)
                WHERE line > first_line"""])

    def _ref(self, spec: ExtractFile, column: str, alias: str = "") -> str | None:
        """A spec column for SQL, or None when the file or column is absent."""
        if column not in self.columns.get(spec.name, ()):
            return None
        return f"{alias}.{column}" if alias else column

    def check_links(self) -> None:
        """Ids that point nowhere, offences of another child, programme date order, duplicate population rows."""
        child_ids = self._ref(CHILDREN, "child_id")
        if child_ids:
            for spec in (OFFENCES, OUTCOMES, PROGRAMMES):
                ref = self._ref(spec, "child_id")
                if ref:
                    self._problems_from(spec.name, "child_id", [f"""
                        SELECT line, 'child_id ''' || {ref} || ''' is not in children.csv'
                        FROM text_{spec.table} WHERE {ref} IS NOT NULL
                          AND {ref} NOT IN (SELECT {child_ids} FROM text_child WHERE {child_ids} IS NOT NULL)"""])
        outcome_offence, offence_id = self._ref(OUTCOMES, "offence_id"), self._ref(OFFENCES, "offence_id")
        if outcome_offence and offence_id:
            self._problems_from(OUTCOMES.name, "offence_id", [f"""
                SELECT line, 'offence_id ''' || {outcome_offence} || ''' is not in offences.csv'
                FROM text_outcome WHERE {outcome_offence} IS NOT NULL
                  AND {outcome_offence} NOT IN (SELECT {offence_id} FROM text_offence WHERE {offence_id} IS NOT NULL)"""])
            outcome_child = self._ref(OUTCOMES, "child_id", "o")
            offence_child = self._ref(OFFENCES, "child_id")
            linked = self._ref(OUTCOMES, "offence_id", "o")
            if outcome_child and offence_child:
                self._problems_from(OUTCOMES.name, "offence_id", [f"""
                    SELECT o.line, 'offence ''' || {linked} || ''' belongs to child ''' || f.child
                                   || ''', not ''' || {outcome_child} || ''''
                    FROM text_outcome o
                    JOIN (SELECT {offence_id} AS id, min({offence_child}) AS child
                          FROM text_offence GROUP BY 1) f ON f.id = {linked}
                    WHERE f.child IS DISTINCT FROM {outcome_child}"""])
        referral, start, end = (self._ref(PROGRAMMES, c) for c in ("referral_date", "start_date", "end_date"))
        if referral and start:
            self._problems_from(PROGRAMMES.name, "start_date", [f"""
                SELECT line, 'start_date ' || {start} || ' is before referral_date ' || {referral}
                FROM text_programme WHERE try_cast({start} AS DATE) < try_cast({referral} AS DATE)"""])
        if end:
            checks = [f"""SELECT line, 'end_date is set but start_date is missing'
                          FROM text_programme WHERE {end} IS NOT NULL AND {start or 'NULL'} IS NULL"""]
            if start:
                checks.append(f"""SELECT line, 'end_date ' || {end} || ' is before start_date ' || {start}
                    FROM text_programme WHERE try_cast({end} AS DATE) < try_cast({start} AS DATE)""")
            self._problems_from(PROGRAMMES.name, "end_date", checks)
        key = [self._ref(POPULATION, c) for c in ("yjs", "year", "age", "sex", "ethnicity_group")]
        if all(key):
            locality = self._ref(POPULATION, "locality") or "NULL"
            parts = ", ".join([*(f"lower({k})" for k in key), f"lower({locality})"])
            self._problems_from(POPULATION.name, "-", [f"""
                SELECT line, 'duplicate row for the same yjs, year, age, sex, ethnicity_group and locality'
                             || ' (first on line ' || first_line || ')'
                FROM (SELECT line, min(line) OVER (PARTITION BY {parts}) AS first_line FROM text_population)
                WHERE line > first_line"""])

    # -- staging -------------------------------------------------------------------------------
    def _typed(self, spec: ExtractFile, column: Column) -> str:
        """SQL for one column's clean, typed value (NULL when the column is absent)."""
        v = f"t.{column.name}"
        if column.kind == "date":
            return f"CAST({v} AS DATE)"
        if column.kind == "int":
            return f"CAST({v} AS BIGINT)"
        if column.kind in ("vocab", "bool"):
            cast = "BOOLEAN" if column.kind == "bool" else "VARCHAR"
            return (f"CAST((SELECT canonical FROM vocabulary WHERE file = '{spec.name}' "
                    f"AND col = '{column.name}' AND word = lower({v})) AS {cast})")
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

    def run(self) -> duckdb.DuckDBPyConnection:
        """Validate everything; raise ExtractRejected, or return the connection holding stage_* views."""
        if not self.folder.is_dir():
            raise ExtractRejected([Problem(str(self.folder), 0, "-", "is not a folder")])
        self.read_extract_json()
        for spec in EXTRACT_FILES:
            self.read_file(spec)
        for spec in EXTRACT_FILES:
            self.check_file(spec)
        self.check_links()
        if self.problems:
            raise ExtractRejected(self.problems)
        for spec in EXTRACT_FILES:
            self.stage(spec)
        return self.con


def stage_extract(folder: Path, progress: Progress | None = None) -> tuple[duckdb.DuckDBPyConnection, date, str]:
    """Validate an extract folder; return a connection with its stage_* views, its as_of and description."""
    stager = Stager(folder, progress)
    con = stager.run()
    return con, stager.as_of, stager.description

