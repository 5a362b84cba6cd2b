"""Canonical ISP names: AS numbers and organisation-name words -> one English and local name.

The table is pipeline/data/isp_names.csv, each row with the registry record it comes from.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from pathlib import Path

# Beside the package's modules (package data), found by path: an editable install can make
# `pipeline` a namespace package, which importlib.resources cannot read from.
TABLE = Path(__file__).resolve().parent.parent / "data" / "isp_names.csv"


@dataclass(frozen=True, slots=True)
class CanonicalIsp:
    name: str
    name_local: str | None


def words(value: str) -> str:
    """Lower-case words separated by single spaces, padded so ` w ` finds whole words."""
    cleaned = "".join(c if c.isalnum() else " " for c in value.casefold())
    return f" {' '.join(cleaned.split())} "


@dataclass(frozen=True, slots=True)
class IspNames:
    by_asn: dict[int, CanonicalIsp]
    # (words, country or None, isp), longest phrase first so "china unicom" beats "unicom"
    patterns: tuple[tuple[str, str | None, CanonicalIsp], ...]

    def canonical(
        self, as_number: int | None, texts: tuple[str, ...], country: str | None
    ) -> CanonicalIsp | None:
        """The ISP for an AS number, else for the first text that names a known network."""
        if as_number is not None:
            known = self.by_asn.get(as_number)
            if known is not None:
                return known
        for value in texts:
            padded = words(value)
            for phrase, only_in, isp in self.patterns:
                if phrase in padded and (only_in is None or only_in == country):
                    return isp
        return None


@functools.cache
def load() -> IspNames:
    data = TABLE.read_text(encoding="utf-8")
    by_asn: dict[int, CanonicalIsp] = {}
    patterns: list[tuple[str, str | None, CanonicalIsp]] = []
    for row in csv.DictReader(io.StringIO(data)):
        isp = CanonicalIsp(row["name"], row["name_local"] or None)
        if row["match"] == "asn":
            by_asn[int(row["value"])] = isp
        else:
            patterns.append((words(row["value"]), row["country"] or None, isp))
    patterns.sort(key=lambda p: -len(p[0]))
    return IspNames(by_asn, tuple(patterns))
