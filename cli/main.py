"""The ``callscope`` command.

``callscope analyze CALL`` prints the JSON report (or ``--format text``).
``callscope models fetch|verify`` sets up and checks the offline weights.
``callscope serve`` runs the service on one machine; ``callscope worker`` one worker; ``callscope keys
create|list|revoke`` and ``callscope teams create|list`` manage API keys, their scopes and teams
(:mod:`cli.keys`); ``callscope migrate`` upgrades the database; ``callscope requeue`` re-queues
unfinished calls.

Exit codes: 0 success; 2 bad usage or setting; 3 model weights missing or
corrupt (run ``make models``); 11-16 the recording was refused (see
:mod:`audio_features.errors`: 11 not found, 12 empty file, 13 not audio,
14 no samples, 15 truncated or corrupt, 16 too long).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from audio_features.config import SeparationSettings, Settings, apply_offline_environment
from audio_features.environment import env_name
from audio_features.errors import CallscopeError, ConfigError
from cli.keys import add_parsers as add_key_parsers

__all__ = ["main"]


class _ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.2 and fraction < 1.0):
            return
        self._last = now
        filled = int(30 * fraction)
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {fraction * 100:5.1f}% {stage:<10s}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        whisper_model=getattr(args, "model", None),
        language=getattr(args, "language", None),
        beam_size=getattr(args, "beam_size", None),
        cpu_threads=getattr(args, "threads", None),
        agent_channel=getattr(args, "agent_channel", None),
        num_speakers=getattr(args, "num_speakers", None),
        # A one-off analysis diarizes in a process of its own that gives its memory back before Whisper runs,
        # unless CALLSCOPE_DIARIZATION_PROCESS says otherwise.
        diarization_process=None if os.environ.get(env_name(SeparationSettings, "diarization_process")) else "own",
    )


def _analyze(args: argparse.Namespace) -> int:
    from analysis.pipeline import analyze_file, analyze_transcript
    from analysis.redact import redact_report
    from analysis.report import build_report
    from analysis.summary import format_text

    if (args.call is None) == (args.transcript is None):
        raise ConfigError("give either a recording or --transcript FILE (not both)")
    settings = _settings(args)
    bar = _ProgressBar(args.progress if args.progress is not None else sys.stderr.isatty())
    try:
        if args.transcript is not None:
            label = args.agent_speaker or "agent"
            analysis = analyze_transcript(args.transcript, settings, agent_label=label, progress=bar)
        else:
            analysis = analyze_file(args.call, settings, agent_speaker=args.agent_speaker, progress=bar)
    finally:
        bar.close()
    report = redact_report(build_report(analysis), settings.redaction)  # CALLSCOPE_REDACT=0: as heard
    text = format_text(report) if args.format == "text" else json.dumps(report.to_json(), indent=2, ensure_ascii=False)
    text += "" if args.format == "text" else "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _models(args: argparse.Namespace) -> int:
    from audio_features.model_store import fetch_models, verify_models

    settings = Settings.from_env()
    if args.action == "fetch":
        fetch_models(settings.models)
        from audio_features.sentence_model import load_empathy_model

        load_empathy_model(settings.models)  # embeds the exemplars once, so that no analysis waits for it
        print(f"ok  empathy exemplars embedded in {settings.models.models_dir / 'empathy-exemplars'}")
    else:
        verify_models(settings.models)
    return 0


def _redis_url_or_exit(settings) -> str:
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set: point it at the Redis that `callscope serve` or your deployment uses")
    return settings.redis_url


def _worker(args: argparse.Namespace) -> int:
    from store.settings import ServiceSettings
    from workers.worker import run_worker

    url = _redis_url_or_exit(ServiceSettings.from_env())
    run_worker(url, burst=args.burst, fork=args.fork, preload=not args.no_preload)
    return 0


def _requeue(args: argparse.Namespace) -> int:
    from store.requeue import requeue_unfinished
    from store.settings import ServiceSettings

    settings = ServiceSettings.from_env()
    count = requeue_unfinished(settings, _redis_url_or_exit(settings))
    print(f"re-queued {count} unfinished call(s)")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from store.migrate import upgrade
    from store.settings import ServiceSettings

    url = ServiceSettings.from_env().database_url
    engine = create_engine(url)
    before, after = upgrade(engine)
    engine.dispose()
    if before == after:
        print(f"the database is already at revision {after}")
    else:
        print(f"migrated the database from revision {before or '(empty)'} to {after}")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from cli.serve import purge_once

    while True:
        purge_once(args.now, lambda m: print(m, flush=True))
        if not args.every:
            return 0
        time.sleep(args.every)


def _serve(args: argparse.Namespace) -> int:
    from cli.serve import serve

    return serve(host=args.host, port=args.port, workers=args.workers, api_workers=args.api_workers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callscope", description="Analyse recorded contact-centre calls.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="analyse one recording and print its report")
    p.add_argument("call", nargs="?", help="the recording: WAV, MP3, FLAC, Ogg/Opus or M4A")
    p.add_argument(
        "--transcript",
        metavar="FILE",
        help="analyse a transcript instead of a recording: JSON turns {speaker, start, end, text}",
    )
    p.add_argument("--format", choices=("json", "text"), default="json", help="report format (default json)")
    p.add_argument("-o", "--output", help="write the report here instead of stdout")
    p.add_argument(
        "--agent-channel",
        choices=("auto", "left", "right"),
        help="stereo: the agent's channel (default auto: found from what each channel says)",
    )
    p.add_argument(
        "--agent-speaker",
        help="mono: the diarization label of the agent, e.g. SPEAKER_01; --transcript: the agent's speaker label",
    )
    p.add_argument("--num-speakers", type=int, help="mono: speakers to find (default 2)")
    p.add_argument("--model", help="Whisper model: base, tiny.en, a local directory, or a hub name when online")
    p.add_argument("--language", help="ISO language code, e.g. en (default: detect)")
    p.add_argument("--beam-size", type=int, help="Whisper beam size (default 5)")
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar on stderr")
    p.set_defaults(func=_analyze)

    p = sub.add_parser("models", help="fetch or verify the offline model weights")
    p.add_argument("action", choices=("fetch", "verify"))
    p.set_defaults(func=_models)

    add_key_parsers(sub)

    p = sub.add_parser("serve", help="run the API and workers (embedded Redis unless REDIS_URL is set)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="analysis workers (default 1)")
    p.add_argument("--api-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("worker", help="run an analysis worker against REDIS_URL")
    p.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    p.add_argument("--fork", action="store_true", help="fork a process per job (models load in every job)")
    p.add_argument("--no-preload", action="store_true", help="load the models with the first job, not at start")
    p.set_defaults(func=_worker)

    p = sub.add_parser("migrate", help="bring the database to the newest schema revision (keeps every call)")
    p.set_defaults(func=_migrate)

    p = sub.add_parser("purge", help="delete recordings and calls past their team's retention (`teams set`)")
    p.add_argument("--now", help="purge as at this ISO 8601 time (UTC without an offset), e.g. to test a policy")
    p.add_argument("--every", type=float, metavar="SECONDS", help="keep running, purging every SECONDS")
    p.set_defaults(func=_purge)

    p = sub.add_parser("requeue", help="re-enqueue every unfinished call (after a Redis restart)")
    p.set_defaults(func=_requeue)
    return parser


def main(argv: list[str] | None = None) -> int:
    apply_offline_environment()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CallscopeError as exc:
        print(f"callscope: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
