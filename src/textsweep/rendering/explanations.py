"""An explanation for people: words coloured in a terminal, or shaded on a self-contained HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textsweep.pipeline.explain import Explanation


def to_terminal(e: Explanation, colour: bool) -> str:
    scale = max((abs(c) for c in e.contributions), default=0.0) or 1.0
    parts = []
    for word, c in zip(e.words, e.contributions):
        if colour:
            strength = min(abs(c) / scale, 1.0)
            code = (32 if c > 0 else 31) if strength > 0.15 else 0
            bold = ";1" if strength > 0.6 else ""
            parts.append(f"\033[{code}{bold}m{word}\033[0m" if code else word)
        else:
            parts.append(f"{word}({c:+.3f})")
    probs = "  ".join(f"{k}={v:.3f}" for k, v in e.probabilities.items())
    top = ", ".join(f"{w} {c:+.3f}" for w, c in e.top(5))
    return f"{' '.join(parts)}\n  {probs}\n  toward '{e.target}' ({e.method}): {top}"


def to_html(explanations: list[Explanation], title: str) -> str:
    """A self-contained page: each word shaded green (toward the class) or red (against)."""
    from html import escape

    rows = []
    for e in explanations:
        scale = max((abs(c) for c in e.contributions), default=0.0) or 1.0
        spans = []
        for word, c in zip(e.words, e.contributions):
            alpha = min(abs(c) / scale, 1.0) * 0.8
            colour = f"rgba(0,150,0,{alpha:.2f})" if c > 0 else f"rgba(200,0,0,{alpha:.2f})"
            spans.append(f'<span style="background:{colour}" title="{c:+.4f}">{escape(word)}</span>')
        probs = ", ".join(f"{escape(k)} {v:.3f}" for k, v in e.probabilities.items())
        rows.append(f'<div class="ex"><p class="text">{" ".join(spans)}</p>'
                    f'<p class="meta">toward <b>{escape(e.target)}</b> ({escape(e.method)}); probabilities: {probs}</p></div>')
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
            "body{font-family:sans-serif;max-width:60em;margin:2em auto}.ex{border-bottom:1px solid #ddd;padding:.5em 0}"
            ".text{font-size:1.15em;line-height:1.9}.text span{padding:2px 3px;border-radius:3px}.meta{color:#555;font-size:.9em}"
            f"</style></head><body><h1>{escape(title)}</h1><p>Green pushes toward the class, red against it; "
            f"hover a word for its contribution.</p>{''.join(rows)}</body></html>")
