"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py 'kvip:create_app()'``.

Environment: KVIP_WORKERS (default 2 × cores + 1), KVIP_THREADS (4), KVIP_BIND (127.0.0.1:8000).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("KVIP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KVIP_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("KVIP_THREADS", 4))
# Load the app once in the master: workers share its memory pages copy-on-write.
preload_app = True
timeout = 60
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("KVIP_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    # Objects made at start-up live for the whole worker: keep them out of full GC passes
    # (removes the slow tail of the 228-standard page) and out of copy-on-write churn.
    gc.freeze()
