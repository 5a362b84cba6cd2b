"""The package's version: `ktcp --version`, ktcp.parser.version, and the distribution's own.

A literal, read by the build (pyproject.toml: `[tool.setuptools.dynamic]`), so it has one home
and costs nothing at start-up: asking the installed metadata (importlib.metadata) took about
10 ms of every `ktcp` run.
"""

PARSER_VERSION = "0.1.0"
