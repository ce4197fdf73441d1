"""Records as a terminal table, markdown, CSV or JSON (compare, sweep status).

The terminal table never cuts a value: a number is *formatted* to a few characters (3.42M, 0.0043, 1.23e-05,
12.3), an accuracy-like value (a share in [0, 1]: accuracy, macro-F1) as a percentage with one decimal (81.7 %),
a name is shown whole, and where the table is wider than the terminal its headers take their unique short
forms (model.dropout -> dropout, val_accuracy -> val_acc) and then the table is simply wider: the terminal
wraps it, which reads worse but never lies. Run ids show 8 characters (more where 8 would not be unique).
`width=None` (`--wide`, or output to a file or a pipe) shortens nothing: every value as it is stored (0.81734,
3423294, the param's own text), full names and run ids. CSV and JSON keep every digit too.
"""

import csv
import io
import json
import math
import shutil
import sys

DEFAULT_WIDTH = 120  # when the terminal's width cannot be read
RUN_ID_CHARS = 8  # enough for the MLflow UI's search box
SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
# Header abbreviations used only when a table is wider than the terminal, and only where they stay unique.
ABBREVIATIONS = {"accuracy": "acc", "learning_rate": "lr", "parameters": "params", "duration_s": "dur_s",
                 "train_time_s": "time_s", "recurrent_dropout": "rec_dropout", "embedding": "emb"}
ACCURACY_LIKE = ("accuracy", "f1")  # metrics that are shares in [0, 1], read as percentages


def accuracy_like(name: str) -> bool:
    """Whether a metric (val_accuracy, test_macro_f1...) is a share in [0, 1] that a person reads as a percentage."""
    return any(word in name for word in ACCURACY_LIKE)


def format_percent(share: float, decimals: int = 1) -> str:
    """0.81734 -> "81.7 %"."""
    return f"{share * 100:.{decimals}f} %"


def table_width(wide: bool = False, stream=None) -> int | None:
    """The width a terminal table must fit: the terminal's, or None (no limit) for --wide, a file or a pipe."""
    stream = stream or sys.stdout
    if wide or not stream.isatty():
        return None
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def format_number(value, wide: bool = False, percent: bool = False) -> str:
    """A number as a short, exact-enough string: never cut, always rounded.

    0.9812 -> 0.9812, 0.004321 -> 0.0043, 0.0000123 -> 1.23e-05, 12.345 -> 12.3, 3423294 -> 3.42M, 42 -> 42;
    percent=True: 0.81734 -> 81.7 % (a share in [0, 1]; anything else as a plain number).
    wide=True: every digit (3423294, 0.81734)."""
    if isinstance(value, bool):
        return str(value).lower()
    if wide and isinstance(value, float) and not (value.is_integer() and abs(value) >= 1000):
        return repr(value)  # 0.81734, 1.0, nan: as stored
    if percent and not wide and 0 <= value <= 1:
        return format_percent(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        number = int(value)
        if not wide and abs(number) >= 10_000:
            for size, suffix in SUFFIXES:
                if abs(number) >= size:
                    return f"{number / size:.3g}{suffix}"
        return str(number)
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-3:
        return f"{value:.3g}"
    if magnitude <= 1:
        return f"{value:.4f}"
    if magnitude < 1000:
        return f"{value:.1f}"
    return format_number(round(value), wide)


def _cell(value, wide: bool = False, percent: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)):
        return format_number(value, wide, percent)
    text = str(value)
    if wide:  # a param's own text, as logged
        return text
    try:  # params arrive as strings: "0.41234567" reads as 0.4123, "3423294" as 3.42M
        number = int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text
    return format_number(number, wide, percent) if math.isfinite(number) else text


def _short_names(columns: list[str]) -> list[str]:
    """model.dropout -> dropout where the last part is unique among the columns."""
    last = [c.rsplit(".", 1)[-1] for c in columns]
    return [tail if last.count(tail) == 1 else c for c, tail in zip(columns, last)]


def _abbreviated(columns: list[str]) -> list[str]:
    """val_accuracy -> val_acc, trainer.learning_rate -> lr...: each abbreviation kept only where it stays unique."""
    short = []
    for name in columns:
        for word, abbreviation in ABBREVIATIONS.items():
            name = name.replace(word, abbreviation)
        short.append(name)
    return [s if short.count(s) == 1 and s not in columns else c for c, s in zip(columns, short)]


def _unique_prefixes(values: list[str], chars: int) -> list[str]:
    """The first `chars` characters of each value, more where two would read the same."""
    while chars < max((len(v) for v in values), default=0) and len({v[:chars] for v in values}) < len(set(values)):
        chars += 1
    return [v[:chars] for v in values]


def _line_width(columns: list[str], cells: list[list[str]]) -> int:
    return sum(_widths(columns, cells)) + 2 * (len(columns) - 1)


def _widths(columns: list[str], cells: list[list[str]]) -> list[int]:
    return [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]


def render_records(records: list[dict], fmt: str, width: int | None = DEFAULT_WIDTH, percent=None) -> str:
    """Records as JSON, CSV, a markdown table or a terminal table for `width` columns (None: no limit, shorten
    nothing). percent: the columns shown as percentages; None: those whose names are accuracy-like."""
    if fmt == "json":
        return json.dumps(records, indent=2)
    columns = list(records[0]) if records else ["variant"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue()
    wide = width is None
    percent = {c for c in columns if accuracy_like(c)} if percent is None else set(percent)
    cells = [[_cell(rec.get(c), wide, c in percent) for c in columns] for rec in records]
    if fmt == "md":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    if not wide:
        if "run_id" in columns:
            i = columns.index("run_id")
            for row, short in zip(cells, _unique_prefixes([row[i] for row in cells], RUN_ID_CHARS)):
                row[i] = short
        columns = _short_names(columns)
        if _line_width(columns, cells) > width:
            columns = _abbreviated(columns)
    widths = _widths(columns, cells)
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
