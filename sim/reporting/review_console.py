"""The model review's short block after a ``cxroi fit`` report: one line per fitted input, its verdict and,
where a check warns or fails, that check's sentence (the whole review is review.json in the --out folder). The
sentences keep plain numbers (review.json, the scenario's [review] tables) and are restyled here, at the edge."""

from __future__ import annotations

from sim.fit.review import NA, OK, Review
from sim.reporting.fit_console import echo
from sim.reporting.format import style


def review_lines(review: Review) -> list[str]:
    """The block as lines: a heading, then per input 'path: verdict' and each warning or failure's reason."""
    counts = {s: sum(i.verdict == s for i in review.inputs) for s in ("ok", "warn", "fail")}
    lines = [f"Model review of {len(review.inputs)} fitted input{'s' if len(review.inputs) != 1 else ''}: "
             + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
             + " (holdout, predictive check, estimate, causal designs; docs/fitting.md#the-model-review)"]
    st = style()
    for item in review.inputs:
        checked = [name for name, c in item.checks.items() if c.status != NA]
        lines.append(f"  {item.path}: {item.verdict} ({', '.join(checked) or 'nothing to check'})")
        for name, check in item.checks.items():
            if check.status not in (OK, NA):
                lines.append(f"    {check.status} {name}: {st.restyle(check.reason)}")
    return lines


def print_review(review: Review) -> None:
    for line in review_lines(review):
        echo(line)
