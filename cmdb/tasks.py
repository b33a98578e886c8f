"""Celery tasks of the CMDB: thin, idempotent, calling services."""

import pghistory
from celery import shared_task

from . import services


@shared_task(name="cmdb.flag_stale_cis", queue="default", ignore_result=True)
def flag_stale_cis() -> int:
    """Beat (hourly): flag imported CIs not seen for CMDB_STALE_DAYS. A repeated tick changes nothing."""
    with pghistory.context(task="cmdb.flag_stale_cis"):
        return services.ci_flag_stale(actor=None)
