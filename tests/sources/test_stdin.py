"""Standard input streams whole lines as they arrive, without waiting for EOF."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import threading
from pathlib import Path

from pipeline.sources.stdin import read_stdin

DATA = Path(__file__).parent.parent / "data" / "sources"
WAIT_SECS = 60.0  # a bound for a hung reader, not a performance target

# The child echoes each block it gets from read_stdin, so the parent sees when a line came out.
CHILD = """
import sys
from pipeline.sources.stdin import read_stdin
for block in read_stdin():
    sys.stdout.buffer.write(b"BLOCK " + block.data)
    sys.stdout.buffer.flush()
"""


def test_a_line_comes_out_before_stdin_is_closed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    output = child.stdout
    try:
        child.stdin.write(b"[1.000000] TCP: first\npartial")
        child.stdin.flush()
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(output.readline()), daemon=True)
        reader.start()
        reader.join(WAIT_SECS)
        assert got == [b"BLOCK [1.000000] TCP: first\n"]  # stdin still open here
        child.stdin.write(b" line\n")
        child.stdin.close()
        rest = output.read()
        assert rest == b"BLOCK partial line\n"
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(WAIT_SECS)


def test_stdin_blocks_have_no_path_or_offset() -> None:
    stream = io.BufferedReader(io.BytesIO(b"a\nb\nc"))
    blocks = list(read_stdin(stream))
    assert b"".join(b.data for b in blocks) == b"a\nb\nc"
    assert {(b.path, b.offset) for b in blocks} == {(None, None)}


def test_gzip_on_stdin_is_decompressed() -> None:
    stream = io.BufferedReader(io.BytesIO(gzip.compress(b"x\ny\n")))
    assert b"".join(b.data for b in read_stdin(stream)) == b"x\ny\n"
