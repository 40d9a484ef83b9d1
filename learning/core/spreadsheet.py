"""CSV and XLSX files for the office's reports, safe to open in any spreadsheet.

A text cell that starts like a formula (=, +, -, @, or a tab or carriage return before one)
could be run by the spreadsheet: a name typed at a kiosk is such a text. In CSV it gets a
leading apostrophe; in XLSX it is stored as a string cell, which no spreadsheet evaluates.
Numbers and dates stay numbers and dates.
"""

import csv
import io
from datetime import date, datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Return a CSV cell as text, prefixed with an apostrophe if it starts like a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: list[str], rows) -> bytes:
    """A CSV with a BOM, so spreadsheets on Windows read the Indonesian text as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(
            [
                v if isinstance(v, int | float) and not isinstance(v, bool) else safe_cell(v)
                for v in row
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheet_title: str, header: list[str], rows) -> bytes:
    """An XLSX workbook of one sheet; text is never a formula, numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # openpyxl would make "=..." a formula
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column[:200])
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value):
    if value is None or isinstance(value, int | float | date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value
    return str(value)


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def spreadsheet_response(name: str, fmt: str, header: list[str], rows):
    """A download of `rows` as `name`.csv or `name`.xlsx."""
    from flask import Response

    rows = list(rows)
    body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(name, header, rows)
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
