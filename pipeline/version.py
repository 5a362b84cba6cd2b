"""The installed package's version (ktcp.parser.version, `ktcp --version`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    PARSER_VERSION = version("ktcp")
except PackageNotFoundError:  # running from a source tree without installation
    PARSER_VERSION = "0+unknown"
