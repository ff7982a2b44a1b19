"""Prometheus metrics kept in the database as calls finish, so that ``/metrics`` reads a small table.

Workers run on many hosts and in many processes, so an in-process registry would see one process only;
prometheus_client's multiprocess mode needs a directory that every process shares, which separate hosts
do not have. The database is shared by all of them, so each worker adds to rows of one small table
(:class:`store.db.MetricRow`) as it finishes a call, with ``value = value + n`` in one statement, and
``/metrics`` turns the rows into metric families. No report is read.

Metrics (all counters only grow; rates come from PromQL's ``rate()``):

* ``callscope_stage_seconds`` (histogram, label ``stage``): wall-clock seconds of each pipeline stage of
  every call analysed (``decode``, ``separate``, ``transcribe``, ...), and ``total``.
* ``callscope_calls_done_total``: calls analysed.
* ``callscope_calls_failed_total`` (label ``code``): calls ended ``failed``, by error code.
* ``callscope_job_retries_total``: analyses put back in the queue after a failed attempt or a dead worker.
* ``callscope_worker_restarts_total``: workers found dead and replaced (by ``callscope serve``, or a
  standalone worker taking over from its predecessor).
"""

from __future__ import annotations

import math

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from store.db import Database, MetricRow

__all__ = ["STAGE_BUCKETS_S", "collect", "count", "observe_stages", "safely"]

#: Upper bounds of the stage-duration histogram, s: a stage of a short call takes well under a second,
#: transcribing a 3-hour call tens of minutes.
STAGE_BUCKETS_S = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)

_HELP = {
    "callscope_calls_done_total": "Calls analysed",
    "callscope_calls_failed_total": "Calls ended failed, by error code",
    "callscope_job_retries_total": "Analyses re-queued after a failed attempt or a dead worker",
    "callscope_worker_restarts_total": "Workers found dead and replaced",
}


def _add(db: Database, items: list[tuple[str, str, float]], first=None) -> None:
    """Add each (name, labels, amount) to its row, creating rows as needed, in one transaction; ``first``, if
    given, is called with the session at its start, so that what it writes and the counts land together."""
    for _ in range(3):  # two processes may create the same row at once: the loser updates instead
        try:
            with db.session.begin() as s:
                if first is not None:
                    first(s)
                for name, labels, amount in items:
                    changed = s.execute(
                        update(MetricRow)
                        .where(MetricRow.name == name, MetricRow.labels == labels)
                        .values(value=MetricRow.value + amount)
                    ).rowcount
                    if not changed:
                        s.add(MetricRow(name=name, labels=labels, value=amount))
                        s.flush()
            return
        except IntegrityError:
            continue


def safely(fn, *args) -> None:
    """Run a metrics update; a metrics failure must never fail the call it counts."""
    try:
        fn(*args)
    except Exception:  # pragma: no cover - logged, not raised
        import logging

        logging.getLogger("callscope.metrics").exception("metrics update failed")


def count(db: Database, name: str, labels: str = "", by: float = 1.0) -> None:
    """Add ``by`` to counter ``name`` (one of ``_HELP``'s); ``labels`` is ``"code=<code>"`` or empty."""
    _add(db, [(name, labels, by)])


def observe_stages(db: Database, timings: dict[str, float], first=None) -> None:
    """Record one finished call: its stage seconds (``<stage>_s`` keys of a report's ``timings``); ``first`` as
    :func:`_add` takes it (the job ends the call ``done`` in the same transaction, so a scrape that sees the
    call done sees it counted)."""
    items: list[tuple[str, str, float]] = [("callscope_calls_done_total", "", 1.0)]
    for key, seconds in timings.items():
        if not key.endswith("_s"):
            continue
        stage = key[:-2]
        items.append(("callscope_stage_seconds_count", f"stage={stage}", 1.0))
        items.append(("callscope_stage_seconds_sum", f"stage={stage}", float(seconds)))
        for le in (*STAGE_BUCKETS_S, math.inf):
            if seconds <= le:
                items.append(("callscope_stage_seconds_bucket", f"stage={stage},le={le:g}", 1.0))
    _add(db, items, first)


def collect(db: Database):
    """The table as prometheus_client metric families (for a custom collector)."""
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

    with db.session() as s:
        rows = s.execute(select(MetricRow.name, MetricRow.labels, MetricRow.value)).all()
    values: dict[str, dict[str, float]] = {}
    for name, labels, value in rows:
        values.setdefault(name, {})[labels] = value
    families = []
    for name, help_text in _HELP.items():
        base = name.removesuffix("_total")
        label_name = "code" if name == "callscope_calls_failed_total" else None
        family = CounterMetricFamily(base, help_text, labels=[label_name] if label_name else None)
        for labels, value in sorted(values.get(name, {"": 0.0} if not label_name else {}).items()):
            family.add_metric([labels.split("=", 1)[1]] if label_name else [], value)
        families.append(family)
    histogram = HistogramMetricFamily(
        "callscope_stage_seconds", "Wall-clock seconds per pipeline stage of each call", labels=["stage"]
    )
    for labels, total in sorted(values.get("callscope_stage_seconds_sum", {}).items()):
        stage = labels.split("=", 1)[1]
        counts = values.get("callscope_stage_seconds_bucket", {})
        buckets = [
            ("+Inf" if le == math.inf else f"{le:g}", counts.get(f"stage={stage},le={le:g}", 0.0))
            for le in (*STAGE_BUCKETS_S, math.inf)
        ]
        histogram.add_metric([stage], buckets, sum_value=total)
    families.append(histogram)
    return families
