"""The chart's README documents every value: its table is the one values.yaml's `# --` comments
give, and every value has a comment (on itself or on the object holding it)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .conftest import CHART

_KEY = re.compile(r"^( *)([A-Za-z0-9_.-]+):(.*)$")


def described_values(text: str) -> list[tuple[str, str]]:
    """(dotted key, description) for each key with a `# --` comment block right above it."""
    rows: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    comment: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
            continue
        key = _KEY.match(line)
        if key and not stripped.startswith("-"):
            indent = len(key[1])
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, key[2]))
            if comment and comment[0].startswith("--"):
                text_ = " ".join([comment[0].removeprefix("--").strip(), *comment[1:]])
                rows.append((".".join(k for _, k in stack), text_))
        comment = []
    return rows


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def values_table() -> str:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    lines = ["| Key | Default | Description |", "|---|---|---|"]
    for key, description in described_values(text):
        default = json.dumps(_lookup(values, key), separators=(",", ":"))
        lines.append(f"| `{key}` | `{default}` | {description} |")
    return "\n".join(lines)


def _leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def test_every_value_has_a_comment() -> None:
    text = (CHART / "values.yaml").read_text()
    described = {key for key, _ in described_values(text)}
    for leaf in _leaves(yaml.safe_load(text)):
        parts = leaf.split(".")
        ancestors = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        assert ancestors & described, f"{leaf} has no `# --` comment in values.yaml"


def test_readme_table_is_the_one_values_yaml_gives() -> None:
    readme = (CHART / "README.md").read_text()
    table = values_table()
    assert table in readme, f"update the table in helm/ktcp/README.md to:\n\n{table}\n"
