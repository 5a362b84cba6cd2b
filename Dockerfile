# ktcp node agent image: `ktcp agent` (the Helm chart's DaemonSet), `ktcp setup`, `ktcp ship`.
#
#   docker build -t registry.example.net/ktcp:0.1.0 .
#
# Runs as the unprivileged user ktcp (uid/gid 10001), which the chart's values also name.
# Reading the journal and /var/log needs only group read access (supplementalGroups in the
# chart); only the kmsg source runs as root.

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
# Pure Python: the compiled fast path (native/, needs cargo) serves `parse -o ndjson` and
# exec-filter, not the agent, so the image does without it (pip skips it, docs/NATIVE.md).
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim-bookworm
# journalctl (package systemd) for --source journald; it reads the host's journal files from
# the mounted /var/log/journal and /run/log/journal. Nothing of systemd runs in the container.
RUN apt-get update \
 && apt-get install -y --no-install-recommends systemd \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ktcp \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ktcp
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
# No .pyc writes (the chart mounts the root filesystem read-only); logs leave unbuffered.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
ENTRYPOINT ["ktcp"]
CMD ["agent", "--help"]
