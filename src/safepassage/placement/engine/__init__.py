"""The placement engine: pure (no database, no web stack); outcome model and optimiser behind protocols.

Public surface (frozen dataclasses in and out, so a workflow can build inputs from its rows and
store the proposals for a placement officer to accept, reject or override):

- ``read_households`` / ``read_regions`` / ``read_history``: CSV in, records and row problems out;
- ``GradientBoostingModel.fit(history, regions)``: the calibrated outcome model with held-out metrics;
  any ``OutcomeModel`` (e.g. ``TableModel``) will do;
- ``place(households, regions, scores, policy, solver=...)``: a ``PlacementPlan`` of explained
  proposals with the proven bound and gap; solvers: ``DecompositionSolver`` (default),
  ``MilpSolver``, ``GreedySolver``;
- ``place_dynamic``: weekly batches placed as they arrive, capacity kept for later arrivals;
- ``first_come_first_served`` / ``proportional``: the baselines.
"""

from safepassage.placement.engine.baselines import first_come_first_served, proportional, total
from safepassage.placement.engine.csvio import RowProblem, read_history, read_households, read_regions
from safepassage.placement.engine.instance import Instance, build_instance, consumption
from safepassage.placement.engine.model import GradientBoostingModel, ModelMetrics, OutcomeModel, TableModel
from safepassage.placement.engine.plan import place
from safepassage.placement.engine.solvers import DecompositionSolver, GreedySolver, MilpSolver, Solver
from safepassage.placement.engine.types import (
    Education,
    HistoryRecord,
    Household,
    PlacementPlan,
    PlacementPolicy,
    Proposal,
    ReasonCode,
    Region,
    Resource,
    SolveStats,
    TieMode,
    Utilisation,
)

__all__ = [
    "DecompositionSolver",
    "Education",
    "GradientBoostingModel",
    "GreedySolver",
    "HistoryRecord",
    "Household",
    "Instance",
    "MilpSolver",
    "ModelMetrics",
    "OutcomeModel",
    "PlacementPlan",
    "PlacementPolicy",
    "Proposal",
    "ReasonCode",
    "Region",
    "Resource",
    "RowProblem",
    "SolveStats",
    "Solver",
    "TableModel",
    "TieMode",
    "Utilisation",
    "build_instance",
    "consumption",
    "first_come_first_served",
    "place",
    "proportional",
    "read_history",
    "read_households",
    "read_regions",
    "total",
]
