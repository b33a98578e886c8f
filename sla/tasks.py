"""Celery tasks of the SLA app: thin, idempotent, primary keys only (STYLE 8)."""

import pghistory
from celery import shared_task

from . import scan as scanning
from . import services


@shared_task(name="sla.scan_clocks", queue="default", ignore_result=True)
def scan_clocks() -> dict:
    """One beat tick: record warnings and breaches that fell due, queue their escalations."""
    with pghistory.context(task="sla.scan_clocks"):
        result = scanning.scan()
    return {"claimed": result.claimed, "events": result.events, "runs": result.runs, "redriven": result.redriven}


@shared_task(name="sla.run_escalation", queue="default", ignore_result=True)
def run_escalation(run_id: int) -> str | None:
    with pghistory.context(task="sla.run_escalation"):
        return scanning.escalation_run(run_id=run_id)


@shared_task(name="sla.recompute_definition", queue="default", ignore_result=True)
def recompute_definition(definition_id: int, actor_id: int | None = None) -> int:
    with pghistory.context(task="sla.recompute_definition"):
        return services.definition_recompute(definition_id=definition_id, actor_id=actor_id)
