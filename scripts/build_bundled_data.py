#!/usr/bin/env python3
"""Build pipeline/data/ipdata.bin, the bundled offline enrichment data, from the npm packages
of the ip-location-db project (https://github.com/sapics/ip-location-db):

- @ip-location-db/asn: IP range -> AS number and organisation (RouteViews and DB-IP IP to ASN
  Lite, CC BY 4.0: attribution to routeviews.org and DB-IP.com);
- @ip-location-db/geo-whois-asn-country: IP range -> country (CC0).

    npm pack @ip-location-db/asn @ip-location-db/geo-whois-asn-country   # in a scratch dir
    python scripts/build_bundled_data.py SCRATCH_DIR

Both CSVs list non-overlapping ranges `first,last,...`. They are merged into one segmentation
of the address space (a segment where either value changes starts a new one) and written in the
format pipeline/enrich/ipdata.py reads: sorted segment starts, a record per segment, records of
(AS number, organisation, country) stored once each.
"""

from __future__ import annotations

import csv
import json
import sys
import tarfile
from collections.abc import Iterator
from ipaddress import ip_address
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.enrich.ipdata import Record, write

OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "ipdata.bin"
ASN_PACKAGE = "ip-location-db-asn-"
COUNTRY_PACKAGE = "ip-location-db-geo-whois-asn-country-"

Range = tuple[int, int, tuple[str, ...]]


def _members(scratch: Path, prefix: str) -> tuple[tarfile.TarFile, str]:
    tgz = sorted(scratch.glob(f"{prefix}[0-9]*.tgz"))
    if not tgz:
        sys.exit(f"no {prefix}*.tgz in {scratch}: run npm pack there first")
    version = tgz[-1].name.removeprefix(prefix).removesuffix(".tgz")
    return tarfile.open(tgz[-1]), version


def _ranges(tar: tarfile.TarFile, name: str) -> Iterator[Range]:
    member = tar.extractfile(f"package/{name}")
    assert member is not None, name
    lines = (line.decode("utf-8") for line in member)
    for row in csv.reader(lines):
        yield int(ip_address(row[0])), int(ip_address(row[1])), tuple(row[2:])


def normalize(ranges: list[Range]) -> list[Range]:
    """Non-overlapping ranges: where ranges nest or overlap, the narrowest one holding a point
    wins (a registry's more specific assignment inside a larger block)."""
    ranges = sorted(ranges)
    points = sorted({p for r in ranges for p in (r[0], r[1] + 1)})
    out: list[Range] = []
    active: list[Range] = []
    i = 0
    for start, after in pairwise(points):
        while i < len(ranges) and ranges[i][0] <= start:
            active.append(ranges[i])
            i += 1
        active = [r for r in active if r[1] >= start]
        if active:
            best = min(active, key=lambda r: r[1] - r[0])
            if out and out[-1][1] == start - 1 and out[-1][2] == best[2]:
                out[-1] = (out[-1][0], after - 1, best[2])
            else:
                out.append((start, after - 1, best[2]))
    return out


def segments(asn: list[Range], country: list[Range]) -> list[tuple[int, Record | None]]:
    """(start, record) for every segment of the address space, gaps as None, merged runs."""
    points = sorted({p for r in (*asn, *country) for p in (r[0], r[1] + 1)})
    out: list[tuple[int, Record | None]] = []
    ai = ci = 0
    for start in points:
        while ai < len(asn) and asn[ai][1] < start:
            ai += 1
        while ci < len(country) and country[ci][1] < start:
            ci += 1
        a = asn[ai] if ai < len(asn) and asn[ai][0] <= start else None
        c = country[ci] if ci < len(country) and country[ci][0] <= start else None
        record = None
        if a is not None or c is not None:
            record = Record(
                as_number=int(a[2][0]) if a is not None and a[2][0] not in ("", "0") else None,
                as_organization=(a[2][1] or None) if a is not None else None,
                country=(c[2][0] or None) if c is not None else None,
            )
        if out and out[-1][1] == record:
            continue
        out.append((start, record))
    return out


def main() -> None:
    scratch = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    asn_tar, asn_version = _members(scratch, ASN_PACKAGE)
    country_tar, country_version = _members(scratch, COUNTRY_PACKAGE)
    tables = {}
    for family in ("ipv4", "ipv6"):
        asn = normalize(list(_ranges(asn_tar, f"asn-{family}.csv")))
        country = normalize(list(_ranges(country_tar, f"geo-whois-asn-country-{family}.csv")))
        tables[family] = segments(asn, country)
        print(f"{family}: {len(asn)} AS ranges, {len(country)} country ranges -> "
              f"{len(tables[family])} segments", file=sys.stderr)
    built = asn_version.rsplit(".", 1)[-1][:8]  # 2.3.2026061719 -> 20260617
    meta = {
        "source": (
            f"ip-location-db asn {asn_version} + geo-whois-asn-country {country_version}"
        ),
        "date": f"{built[:4]}-{built[4:6]}-{built[6:8]}",
        "attribution": "AS data: RouteViews (routeviews.org) and DB-IP IP to ASN Lite "
        "(DB-IP.com), CC BY 4.0, merged by the ip-location-db project; country data: "
        "ip-location-db geo-whois-asn-country, CC0",
    }
    size = write(OUT, tables["ipv4"], tables["ipv6"], meta)
    print(f"wrote {OUT} ({size / 2**20:.1f} MiB): {json.dumps(meta)}", file=sys.stderr)


if __name__ == "__main__":
    main()
