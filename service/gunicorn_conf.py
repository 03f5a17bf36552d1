"""gunicorn settings for ``tokenscam serve`` (bind, workers and --preload come from the CLI).

Sync workers: on 2 cores they were the fastest and steadiest in our measurements, and scoring is
CPU-bound, so threads would only queue behind the GIL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tokenscam.settings import default_instance_path, load_settings

worker_class = "sync"
timeout = 60
graceful_timeout = 20
errorlog = "-"
accesslog = None  # request lines could carry personal data in query strings; off by default
proc_name = "tokenscam"
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): two servers
# (tests, a benchmark, `make run`) would take it from each other. We do not use it.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Forget the metric snapshots of the previous run: counters start at zero with the server."""
    from service.metrics import clear

    settings = load_settings(environ=os.environ)
    clear(Path(settings["INSTANCE_PATH"] or default_instance_path()) / "metrics")
