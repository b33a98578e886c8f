"""Celery tasks of the SLA app: thin, idempotent, primary keys only (docs/architecture.md, rule 4).

The work is imported when a task runs: ``sla.services`` queues these tasks, so importing it here
would close an import loop.
"""

import pghistory
from celery import shared_task


@shared_task(name="sla.scan_clocks", queue="default", ignore_result=True)
def scan_clocks() -> dict:
    """One beat tick: record warnings and breaches that fell due, queue their escalations."""
    from .scan import scan

    with pghistory.context(task="sla.scan_clocks"):
        result = scan()
    return {"claimed": result.claimed, "events": result.events, "runs": result.runs, "redriven": result.redriven}


@shared_task(name="sla.sweep_dirty_clocks", queue="default", ignore_result=True)
def sweep_dirty_clocks() -> int:
    """Recompute clocks whose after-commit recompute never ran (the process died in between)."""
    from .services import clocks_sweep_dirty

    with pghistory.context(task="sla.sweep_dirty_clocks"):
        return clocks_sweep_dirty()


@shared_task(name="sla.run_escalation", queue="default", ignore_result=True)
def run_escalation(run_id: int) -> str | None:
    from .scan import escalation_run

    with pghistory.context(task="sla.run_escalation"):
        return escalation_run(run_id=run_id)


@shared_task(name="sla.recompute_definition", queue="default", ignore_result=True)
def recompute_definition(definition_id: int, actor_id: int | None = None) -> int:
    from .services import definition_recompute

    with pghistory.context(task="sla.recompute_definition"):
        return definition_recompute(definition_id=definition_id, actor_id=actor_id)
