"""Which Projects tasks are invoiced, and by which invoice: the one fact both services share (L8).

A mark is a row keyed by the task id, so claiming one is a single insert inside the request's
write transaction: two racing invoices for one task cannot both claim it. Projects refuses a
claimed task (6409); a Books invoice line carrying a Projects task adds the mark when the task
is free. Claiming also stamps the task's billable, not yet invoiced logs with the invoice id.
"""

from __future__ import annotations

import datetime as dt

from sandbox.db import Body, Tx
from sandbox.formats import epoch_ms

SERVICE = "projects"
KIND = "task_marks"


def touch(body: Body, now: dt.datetime) -> Body:
    """Move last_modified_time_long forward, strictly, so every change is seen by a sync."""
    previous = int(body.get("last_modified_time_long") or 0)
    body["last_modified_time_long"] = max(epoch_ms(now), previous + 1)
    return body


def holder(tx: Tx, task_id: str) -> Body | None:
    return tx.get(SERVICE, KIND, task_id)


def claim(tx: Tx, now: dt.datetime, task_id: str, project_id: str, side: str,
          invoice_id: str) -> bool:
    """Mark a task invoiced; False (and nothing written) when it already is."""
    if holder(tx, task_id) is not None:
        return False
    tx.insert(SERVICE, KIND, task_id,
              {"task_id": task_id, "project_id": project_id, "side": side,
               "invoice_id": invoice_id}, parent=project_id, ref=invoice_id)
    task = tx.get(SERVICE, "tasks", task_id)
    if task is not None:
        tx.put(SERVICE, "tasks", task_id, touch(task, now))
    for log in tx.select(SERVICE, "timelogs", parent=project_id,
                         where=["json_extract(d.body, '$.task_id') = ?",
                                "json_extract(d.body, '$.billable') = 1",
                                "coalesce(json_extract(d.body, '$.invoice_id'), '') = ''"],
                         params=[task_id]):
        log["invoice_id"] = invoice_id
        tx.put(SERVICE, "timelogs", log["id"], touch(log, now))
    return True


def release(tx: Tx, now: dt.datetime, invoice_id: str) -> None:
    """Free every task (and log) an invoice held: the invoice is gone or its lines changed."""
    for mark in tx.select(SERVICE, KIND, ref=invoice_id):
        tx.delete(SERVICE, KIND, mark["task_id"])
        task = tx.get(SERVICE, "tasks", mark["task_id"])
        if task is not None:
            tx.put(SERVICE, "tasks", mark["task_id"], touch(task, now))
        for log in tx.select(SERVICE, "timelogs", parent=mark["project_id"],
                             where=["json_extract(d.body, '$.invoice_id') = ?"],
                             params=[invoice_id]):
            log["invoice_id"] = ""
            tx.put(SERVICE, "timelogs", log["id"], touch(log, now))


def projects_project(tx: Tx, project_id: str) -> Body | None:
    return tx.get(SERVICE, "projects", project_id)


def projects_task(tx: Tx, task_id: str) -> Body | None:
    return tx.get(SERVICE, "tasks", task_id)
