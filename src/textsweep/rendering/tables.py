"""Records as a terminal table that fits 120 columns, markdown, CSV or JSON (compare, sweep status)."""

import csv
import io
import json

def _cell(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) <= 1.0 else f"{value:.1f}"
    text = str(value)
    try:  # params arrive as strings: 0.41234567 reads as 0.412
        number = float(text)
    except ValueError:
        return text
    return f"{number:.3g}" if "." in text and len(text) > 6 else text


TERMINAL_WIDTH = 120


def _short_names(columns: list[str]) -> list[str]:
    """model.dropout -> dropout where the last part is unique among the columns: a table that fits."""
    last = [c.rsplit(".", 1)[-1] for c in columns]
    return [tail if last.count(tail) == 1 else c for c, tail in zip(columns, last)]


def _fit(columns: list[str], cells: list[list[str]], width: int) -> tuple[list[str], list[list[str]]]:
    """Shorten the widest cells (params, then anything) until a line fits `width` columns."""
    def line_width():
        return sum(max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)) + 2 * (len(columns) - 1)

    while line_width() > width:
        widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
        i = max(range(len(columns)), key=lambda k: widths[k])
        if widths[i] <= 6:
            break
        limit = widths[i] - 1
        columns[i] = columns[i] if len(columns[i]) <= limit else columns[i][:limit - 1] + "~"
        for r in cells:
            if len(r[i]) > limit:
                r[i] = r[i][:limit - 1] + "~"
    return columns, cells


def render_records(records: list[dict], fmt: str) -> str:
    """Records as JSON, CSV, a markdown table or a terminal table that fits 120 columns."""
    if fmt == "json":
        return json.dumps(records, indent=2)
    columns = list(records[0]) if records else ["variant"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue()
    cells = [[_cell(rec.get(c)) for c in columns] for rec in records]
    if fmt == "md":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    # the terminal table: short names, run ids as their first 8 characters (enough for the UI's search)
    if "run_id" in columns:
        i = columns.index("run_id")
        for row in cells:
            row[i] = row[i][:8]
    columns, cells = _fit(_short_names(columns), cells, TERMINAL_WIDTH)
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
