"""Load the official region files into the database: validated first, then one transaction."""

import csv
import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from learning.extensions import db
from learning.regions.models import District, Province, Regency, Village, VillageKind

# (file stem, model, parent column, code pattern), from the top level down.
LEVELS = (
    ("provinces", Province, None, re.compile(r"\d{2}")),
    ("regencies", Regency, "province_code", re.compile(r"\d{2}\.\d{2}")),
    ("districts", District, "regency_code", re.compile(r"\d{2}\.\d{2}\.\d{2}")),
    ("villages", Village, "district_code", re.compile(r"\d{2}\.\d{2}\.\d{2}\.[123]\d{3}")),
)
CHUNK = 5000
MAX_NAME = 100  # the column width of every region name
MAX_PROBLEMS = 50


class RegionsDataError(Exception):
    """The region files are malformed; nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportStats:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    # Codes in the database that the files no longer list: kept (records may point to them).
    missing: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.inserted.values()) or any(self.updated.values())


def region_files(directory: Path) -> dict[str, Path | None]:
    """Return the file read for each level: `<stem>.csv`, else `<stem>.csv.gz`, else None."""
    found = {}
    for stem, *_rest in LEVELS:
        paths = [directory / f"{stem}.csv", directory / f"{stem}.csv.gz"]
        found[stem] = next((p for p in paths if p.exists()), None)
    return found


def _open(path: Path):
    opener = gzip.open if path.name.endswith(".gz") else open
    # utf-8-sig: files saved from a spreadsheet often start with a byte-order mark.
    return opener(path, "rt", encoding="utf-8-sig", newline="")


def _records(reader, name: str, problems: list[str]):
    """Yield the records of a CSV reader; a broken quote ends the file with a problem."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                _("%(where)s: CSV rusak (%(error)s)", where=f"{name}:{reader.line_num}", error=exc)
            )
            return
        yield record


def read_region_files(directory: str | Path) -> dict[str, list[dict]]:
    """Read and check the four region files; raise RegionsDataError listing every fault."""
    directory = Path(directory)
    problems: list[str] = []
    data: dict[str, list[dict]] = {}
    known_parents: set[str] = set()
    files = region_files(directory)
    missing = [stem for stem, path in files.items() if path is None]
    if missing:
        raise RegionsDataError(
            [
                _("%(file)s: berkas tidak ditemukan", file=directory / f"{stem}.csv")
                for stem in missing
            ]
        )
    for stem, _model, parent_col, pattern in LEVELS:
        path = files[stem]
        fh = _open(path)
        rows: list[dict] = []
        seen: set[str] = set()
        with fh:
            reader = csv.reader(fh, strict=True)
            try:
                header = next(reader, None)
            except csv.Error as exc:
                problems.append(f"{path.name}:1: {exc}")
                continue
            expected = ["code", "name"] if parent_col is None else ["code", parent_col, "name"]
            if header != expected:
                problems.append(
                    _(
                        "%(file)s:1: kolom harus %(expected)s, bukan %(found)s",
                        file=path.name,
                        expected=",".join(expected),
                        found=",".join(header or []),
                    )
                )
                continue
            for record in _records(reader, path.name, problems):
                line = reader.line_num
                where = f"{path.name}:{line}"
                if len(record) != len(expected):
                    problems.append(
                        _(
                            "%(where)s: jumlah kolom %(n)s, seharusnya %(m)s",
                            where=where,
                            n=len(record),
                            m=len(expected),
                        )
                    )
                    continue
                row = dict(zip(expected, (value.strip() for value in record), strict=True))
                code = row["code"]
                if not pattern.fullmatch(code):
                    problems.append(
                        _("%(where)s: kode tidak sah: %(code)s", where=where, code=code)
                    )
                    continue
                if code in seen:
                    problems.append(_("%(where)s: kode ganda: %(code)s", where=where, code=code))
                    continue
                if not row["name"] or len(row["name"]) > MAX_NAME:
                    problems.append(
                        _(
                            "%(where)s: nama kosong atau lebih dari %(n)s huruf",
                            where=where,
                            n=MAX_NAME,
                        )
                    )
                    continue
                if parent_col:
                    parent = row[parent_col]
                    if parent not in known_parents or not code.startswith(parent + "."):
                        problems.append(
                            _(
                                "%(where)s: induk %(parent)s tidak dikenal untuk %(code)s",
                                where=where,
                                parent=parent,
                                code=code,
                            )
                        )
                        continue
                seen.add(code)
                rows.append(row)
        data[stem] = rows
        known_parents = seen
        if problems:
            break  # the levels below would only repeat "unknown parent" for every row
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [_("... dan %(n)s masalah lain", n=more)]
        raise RegionsDataError(problems)
    return data


def load_regions(
    data: dict[str, list[dict]], progress: Callable[[int], None] | None = None
) -> ImportStats:
    """Insert new and update renamed regions (the caller commits once); idempotent."""
    stats = ImportStats()
    for stem, model, parent_col, _pattern in LEVELS:
        columns = [model.code, model.name] + ([getattr(model, parent_col)] if parent_col else [])
        existing = {row[0]: tuple(row[1:]) for row in db.session.execute(select(*columns))}
        new_rows, changed_rows = [], []
        for row in data[stem]:
            values = {"code": row["code"], "name": row["name"]}
            if parent_col:
                values[parent_col] = row[parent_col]
            if model is Village:
                values["kind"] = VillageKind.from_code(row["code"])
            current = existing.get(row["code"])
            if current is None:
                new_rows.append(values)
            elif current != tuple(values[c.key] for c in columns[1:]):
                changed_rows.append(values)
        for start in range(0, len(new_rows), CHUNK):
            chunk = new_rows[start : start + CHUNK]
            db.session.execute(insert(model), chunk)
            if progress:
                progress(len(chunk))
        if changed_rows:
            db.session.execute(update(model), changed_rows)
        if progress:
            progress(len(data[stem]) - len(new_rows))
        stats.inserted[stem] = len(new_rows)
        stats.updated[stem] = len(changed_rows)
        stats.unchanged[stem] = len(data[stem]) - len(new_rows) - len(changed_rows)
        stats.missing[stem] = len(existing.keys() - {row["code"] for row in data[stem]})
    db.session.flush()
    return stats


def import_regions(directory: str | Path) -> ImportStats:
    """Read, check and load the region files of `directory` (the caller commits)."""
    return load_regions(read_region_files(directory))
