"""Locker site planning: choose where parcel lockers go from where the demand is.

Pure logic (numpy, scipy; OR-Tools and HiGHS loaded lazily): plain data in, plain data out.
"""

from vitrine.lockers.planning.inputs import (
    CandidateSites,
    DemandPoints,
    PlanningInputError,
    candidates_from_rows,
    demand_from_rows,
)
from vitrine.lockers.planning.planner import LockerPlan, PlanLimits, plan_sites, plan_summary

__all__ = [
    "CandidateSites",
    "DemandPoints",
    "LockerPlan",
    "PlanLimits",
    "PlanningInputError",
    "candidates_from_rows",
    "demand_from_rows",
    "plan_sites",
    "plan_summary",
]
