"""Run the workflow through Snakemake's Python API and report what happens as events.

``brief build`` starts ``python -m pipeline.runner`` as a child process and
reads its standard output: one JSON event per line (a job started,
finished or failed, progress, nothing to do, the outcome), taken from
Snakemake's log records through a logger plugin registered here, never
from its console text. Running Snakemake in a child keeps the CLI in
control: on Ctrl-C or SIGTERM it kills the runner, and every job (which
dies with its parent, see :mod:`pipeline.lifetime`) stops with it.

    python -m pipeline.runner REQUEST_JSON

The request: snakefile, content_dir, build_dir, slugs, cores.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

PLUGIN_MODULE = "snakemake_logger_plugin_briefevents"  # the registry strips the prefix: plugin "briefevents"
SUBSAMPLE = 8  # see profiles/default/config.yaml


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    callback: Callable[[dict], None] | None = None


class LogHandler(LogHandlerBase):
    """Turns Snakemake's log records into plain event dicts for the callback."""

    def __post_init__(self) -> None:
        self.jobs: dict[int, dict] = {}

    @property
    def writes_to_stream(self) -> bool:
        return False

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def emit(self, record: logging.LogRecord) -> None:
        from snakemake.common import NOTHING_TO_BE_DONE_MSG

        send = self.settings.callback
        event = getattr(record, "event", None)
        if event == LogEvent.JOB_INFO:
            info = {"jobid": record.jobid, "rule": record.rule_name, "wildcards": dict(record.wildcards or {}),
                    "log": [str(p) for p in (record.log or [])], "output": [str(p) for p in (record.output or [])]}
            self.jobs[record.jobid] = info
            send({"event": "job_started", **info})
        elif event == LogEvent.JOB_FINISHED:
            send({"event": "job_finished", **self.jobs.get(record.job_id, {"jobid": record.job_id})})
        elif event == LogEvent.JOB_ERROR:
            info = dict(self.jobs.get(record.jobid, {}))
            info.update(jobid=record.jobid, rule=record.rule_name, log=[str(p) for p in (record.log or [])])
            send({"event": "job_failed", **info})
        elif event == LogEvent.PROGRESS:
            send({"event": "progress", "done": record.done, "total": record.total})
        elif event == LogEvent.RUN_INFO:
            stats = dict(record.stats)
            send({"event": "planned", "total": stats.get("total", 0),
                  "rules": {rule: count for rule, count in stats.items() if rule != "total"}})
        elif event is None and record.msg == NOTHING_TO_BE_DONE_MSG:
            send({"event": "nothing_to_do"})
        elif record.levelno >= logging.ERROR and event not in (LogEvent.JOB_ERROR,):
            message = record.getMessage().strip()
            if message:
                send({"event": "error", "message": message.splitlines()[0]})


def _register() -> None:
    from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry

    registry = LoggerPluginRegistry()
    if not registry.is_installed("briefevents"):
        module = types.ModuleType(PLUGIN_MODULE)
        module.LogHandler, module.LogHandlerSettings = LogHandler, LogHandlerSettings
        registry.register_plugin(PLUGIN_MODULE, module)


def read_events(lines) -> Iterator[dict]:
    """The events a runner process prints, one JSON object a line (other lines, if any, skipped)."""
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def run(snakefile: Path, content_dir: Path, build_dir: Path, slugs: list[str], cores: int,
        send: Callable[[dict], None]) -> bool:
    """Run the workflow; True if every job succeeded."""
    from snakemake.api import SnakemakeApi
    from snakemake.scheduling.greedy import SchedulerSettings as GreedySchedulerSettings
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        ExecutionSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
        SchedulingSettings,
    )

    _register()
    config = {"content_dir": str(content_dir), "build_dir": str(build_dir)}
    if slugs:
        config["briefs"] = ",".join(slugs)
    build_dir.mkdir(parents=True, exist_ok=True)
    output = OutputSettings(quiet={Quietness.ALL},
                            log_handler_settings={"briefevents": LogHandlerSettings(callback=send)})
    with SnakemakeApi(output) as api:
        try:
            workflow = api.workflow(resource_settings=ResourceSettings(cores=cores),
                                    config_settings=ConfigSettings(config=config),
                                    snakefile=snakefile, workdir=build_dir)
            dag = workflow.dag(DAGSettings(force_incomplete=True))
            dag.execute_workflow(executor="local", execution_settings=ExecutionSettings(keep_going=True),
                                 scheduling_settings=SchedulingSettings(scheduler="greedy", subsample=SUBSAMPLE),
                                 scheduler_settings=GreedySchedulerSettings())
            return True
        except Exception as exc:  # Snakemake reports failed jobs as a WorkflowError at the end
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            send({"event": "finished_with_errors", "type": type(exc).__name__, "message": message})
            return False


def main(argv: list[str] | None = None) -> int:
    from .lifetime import die_with_parent

    request = json.loads((argv or sys.argv[1:])[0])
    die_with_parent(request.get("parent"), signal.SIGKILL)
    # Jobs print their messages into their logs only: the CLI shows them.
    os.environ["BRIEF_JOB_QUIET"] = "1"
    stdout = sys.stdout

    def send(event: dict) -> None:
        stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        stdout.flush()

    sys.stdout = sys.stderr  # nothing but events on the real standard output
    ok = run(Path(request["snakefile"]), Path(request["content_dir"]), Path(request["build_dir"]),
             request.get("slugs") or [], int(request.get("cores", 2)), send)
    send({"event": "done", "ok": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    status = main()
    # Every job has ended and Snakemake has written its records: skip tearing down the DAG's objects one by
    # one (0.2-0.5 s after a run over 1,000 briefs).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
