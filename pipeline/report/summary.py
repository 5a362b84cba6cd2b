"""The closing summary on standard error: every line read is accounted for."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import catalog
from pipeline.chain import Stats
from pipeline.records import Miss
from pipeline.sinks.base import Delivery


def render(
    stats: Stats,
    seconds: float,
    unmatched: Sequence[Miss] = (),
    show_unmatched: bool = False,
    delivery: Delivery | None = None,
    errors: Sequence[str] = (),
) -> str:
    rate = f", {stats.lines / seconds:,.0f} lines/s" if seconds > 0 else ""
    lines = [f"ktcp: read {stats.lines:,} lines in {seconds:.2f} s{rate}"]
    lines.append(f"  events                    {stats.event_count:,}")
    for action, n in sorted(stats.events.items(), key=lambda kv: (-kv[1], kv[0])):
        family = catalog.BY_ACTION.get(action)  # the family table loads only to name events
        summary = family.summary if family is not None else ""
        lines.append(f"    {action:<28} {n:>8,}  {summary}")
    lines.append(f"  non-TCP lines             {stats.non_tcp:,}")
    hint = ""
    if stats.unmatched and not show_unmatched:
        hint = "  (TCP-looking lines no catalog wording fits: list them with --show-unmatched)"
    lines.append(f"  unmatched TCP-like lines  {stats.unmatched:,}{hint}")
    if show_unmatched:
        lines.extend(f"    {m.message or m.raw.text}" for m in unmatched)
        if stats.unmatched > len(unmatched):
            lines.append(f"    ... {stats.unmatched - len(unmatched):,} more")
    lines.append(f"  invalid lines             {stats.invalid:,}")
    if delivery is not None:
        lines.append(
            f"  delivery: created {delivery.created:,}, already there "
            f"{delivery.already_there:,}, rejected {delivery.rejected:,}, "
            f"not delivered {delivery.not_delivered:,}"
        )
    for err in errors:
        lines.append(f"  error: {err}")
    return "\n".join(lines)
