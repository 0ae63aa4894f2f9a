"""ODM use cases: each function is one use case in one unit of work, called as
``odm.services.<module>.<use_case>(services, ...)`` (``services`` from ``odm.bootstrap.open_services``)."""

from odm.services import (
    activities,
    budgets,
    claims,
    escalation_reads,
    escalations,
    evolution,
    ideas,
    interventions,
    knowledge,
    projects,
    reads,
    registry,
    report,
    runtimes,
    scheduling,
    sessions,
    surfaces,
    tasks,
    templates,
    tickets,
    timing,
    transitions,
)
from odm.services._work import OdmServices

__all__ = ["OdmServices", "activities", "budgets", "claims", "escalation_reads", "escalations", "evolution", "ideas",
           "interventions", "knowledge", "projects", "reads", "registry", "report", "runtimes", "scheduling", "sessions",
           "surfaces", "tasks", "templates", "tickets", "timing", "transitions"]
