"""The comparison's figure (the best rows' accuracy per epoch: validation solid, training dashed) and its
self-contained HTML page (the markdown table and the figure inlined)."""

import base64

def curves_png(curves: list, path) -> None:
    import matplotlib.pyplot as plt

    fig = curves_figure(curves)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def curves_figure(curves: list):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for i, (variant, per_metric) in enumerate(curves):
        colour = f"C{i % 10}"
        for metric, style, label in (("val_accuracy", "-", variant), ("accuracy", "--", None)):
            points = per_metric.get(metric) or []
            if points:
                ax.plot([s for s, _ in points], [v for _, v in points], style, color=colour, marker="o", label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole: no tick at 1.5
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (validation solid, training dashed)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def html_page(table_md: str, png_path, title: str) -> str:
    from html import escape

    image = base64.b64encode(open(png_path, "rb").read()).decode()
    rows = [line.strip("|").split("|") for line in table_md.splitlines() if not line.startswith("|---")]
    head, body = rows[0], rows[1:]
    table = "<table><tr>" + "".join(f"<th>{escape(c.strip())}</th>" for c in head) + "</tr>" + "".join(
        "<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>" for row in body) + "</table>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
            f"</style></head><body><h1>{escape(title)}</h1>{table}<p><img src='data:image/png;base64,{image}'></p></body></html>")
