"""Files logged with each run: accuracy curves as a PNG, the model summary as text."""

import io
from pathlib import Path


def accuracy_curve_png(history: dict, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, ("accuracy", "loss")):
        for key, style in ((metric, "--"), (f"val_{metric}", "-")):
            values = history.get(key)
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def model_summary_text(model) -> str:
    buffer = io.StringIO()
    model.summary(print_fn=lambda line, **_: buffer.write(line + "\n"))
    return buffer.getvalue()
