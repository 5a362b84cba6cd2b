"""kernel-ratelimit-suppressed: the networking rate limiter's count of lines it did not print."""

from __future__ import annotations

from pipeline.report.findings.base import Context, evidence, sysctls
from pipeline.report.model import Finding

ACTIONS = ("kernel-ratelimit-suppressed",)


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    if not rows:
        return []
    suppressed = sum(
        n for r in rows if isinstance(n := r.details.get("count"), int) and not isinstance(n, bool)
    )
    return [
        Finding(
            id="ratelimit-suppressed",
            actions=list(ACTIONS),
            severity="info",
            title="Counts above are lower bounds",
            statement=f"The kernel's rate limiter reported {suppressed:,} messages it did not "
            f"print ({len(rows)} summary lines): every count in this report is a lower bound.",
            meaning="net_ratelimit() lets about 10 networking messages through per 5 seconds, "
            "shared by every networking family, and prints how many it suppressed at the "
            "next allowed message. The count is not tied to the family of the line after it.",
            checks=["nstat -az   # the counters count every occurrence, printed or not"],
            sysctls=sysctls(
                ctx,
                ("net.core.message_cost", "seconds per message of the shared budget"),
                ("net.core.message_burst", "messages allowed in a burst"),
            ),
            references=["Linux lib/ratelimit.c ___ratelimit(); net/core/utils.c net_ratelimit()"],
            evidence=evidence(ctx, rows, events=len(rows), suppressed=suppressed),
        )
    ]
