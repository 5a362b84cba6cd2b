"""The agent's run loop: sources -> chain -> sink -> acknowledged positions -> checkpoints."""

from __future__ import annotations

from pipeline.agent.choose import choose_source
from pipeline.agent.settings import AgentSettings


def run_agent(settings: AgentSettings) -> int:
    """Run until SIGTERM; the exit status."""
    choice = choose_source(settings)
    raise NotImplementedError(choice.reason)
