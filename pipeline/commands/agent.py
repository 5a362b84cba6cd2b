"""`ktcp agent`: the long-running node agent (flags here; the loop is pipeline/agent/)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from pipeline.agent.settings import load_settings
from pipeline.commands.options import fluentd_transport_options
from pipeline.settings import DEFAULT_HTTP_ADDRESS, DEFAULT_STATE_DIR


@click.command("agent")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file, TOML or YAML (keys as the flags, with _ or -).  [env KTCP_CONFIG]",
)
@click.option(
    "--source",
    type=click.Choice(["auto", "kmsg", "journald", "file"]),
    help="Where the kernel log comes from. auto (default): the journal when one is found, "
    "else /dev/kmsg, else the kernel log files.",
)
@click.option(
    "--path",
    "path",
    multiple=True,
    metavar="GLOB",
    help="Files for --source file, e.g. '/var/log/kern.log*' (repeatable).",
)
@click.option(
    "--journal-directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read the journal in this directory (a host's /var/log/journal mounted in a container).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Where positions, the spool and the dead-letter file live (default {DEFAULT_STATE_DIR}).",
)
@click.option("--stdout", "stdout", is_flag=True, default=None, help="Write NDJSON to stdout.")
@click.option("--elasticsearch", metavar="URL", help="Bulk-index into this cluster.")
@click.option("--fluentd", metavar="HOST:PORT", help="Send to a Fluentd in_forward input.")
@click.option(
    "--http",
    metavar="ADDR:PORT",
    help=f"Serve /healthz, /readyz and /metrics here (default {DEFAULT_HTTP_ADDRESS}; off: none).",
)
@click.option(
    "--log-format", type=click.Choice(["json", "text"]), help="stderr logs (default json)."
)
@click.option("--data-stream", help="Elasticsearch data stream (or index) to write.")
@click.option("--api-key", help="Elasticsearch API key.  [env KTCP_ES_API_KEY]")
@click.option("--user", help="Elasticsearch user.  [env KTCP_ES_USER]")
@click.option("--password", help="Elasticsearch password (prefer the env KTCP_ES_PASSWORD).")
@click.option("--ca-certs", type=click.Path(dir_okay=False, path_type=Path), help="CA bundle.")
@click.option("--insecure", is_flag=True, default=None, help="Do not verify TLS certificates.")
@click.option("--tag-prefix", help="Fluentd tag prefix.")
@fluentd_transport_options
@click.option(
    "--spool",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where unacknowledged Fluentd messages wait (default <state-dir>/spool).",
)
@click.option(
    "--dead-letter",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Unmatched and invalid lines, refused documents (default "
    "<state-dir>/dead-letter.ndjson; SIGHUP reopens it).",
)
@click.option("--host", help="host.name (default: this machine's name).")
@click.option("--timezone", metavar="ZONE", help="IANA zone for input times that carry none.")
@click.option("--no-enrich", is_flag=True, default=None, help="Leave out AS, ISP and geo fields.")
@click.option(
    "--mmdb",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="MaxMind database, repeatable (first answer wins).  [env KTCP_MMDB, ':'-separated]",
)
@click.option(
    "--ip2region",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ip2region xdb file.  [env KTCP_IP2REGION]",
)
@click.option(
    "--isp-overrides",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your CIDR table (CSV); wins over every database.  [env KTCP_ISP_OVERRIDES]",
)
@click.option(
    "--sample-interval",
    type=float,
    metavar="SECONDS",
    help="Also sample the kernel's TCP state this often (zero-window peers from /proc/net/tcp, "
    "TcpExt counters), as `ktcp sample` does, into the same sink.",
)
@click.option(
    "--enable-kernel-debug",
    is_flag=True,
    default=None,
    help="Switch on the kernel's own rate-limited window-shrink and drop-open-request lines "
    "(dynamic debug; needs root and CONFIG_DYNAMIC_DEBUG); restored on exit.",
)
@click.option(
    "--kernel-debug-control",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The dynamic debug control file (default: /proc/dynamic_debug/control or "
    "/sys/kernel/debug/dynamic_debug/control).",
)
@click.option(
    "--check-config",
    is_flag=True,
    help="Validate the settings and open the files they name (CA bundles, enrichment "
    "databases), print the settings (secrets hidden) and exit.",
)
def agent_command(config: Path | None, check_config: bool, **flags: Any) -> None:
    """Follow this node's kernel log for ever and deliver every TCP event, at least once.

    Positions are saved in the state directory only after the sink confirmed the events
    before them, so a restart continues where the last one stopped.
    """
    settings = load_settings(flags, config)
    if check_config:
        from pipeline.agent.service import check_files

        check_files(settings)
        sys.stdout.buffer.write(
            orjson.dumps(settings.redacted(), option=orjson.OPT_INDENT_2) + b"\n"
        )
        click.echo("ktcp agent: settings are valid", err=True)
        return
    from pipeline.agent.service import run_agent

    sys.exit(run_agent(settings))
