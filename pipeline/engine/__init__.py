"""The build engine: plan (which outputs, with which keys), decide what is out of date from
the build state, run tasks on an executor (this process, local processes or Dask), store
their files atomically. Publishing (manifest, site, feeds) sits above it and is handed in
as callbacks; the command line sits above both."""

from pipeline.engine.coordinator import BuildReport, build, resolve, with_dependencies
from pipeline.engine.pairs import PairPlan, Task
from pipeline.engine.plan import BuildPlan, plan_build
from pipeline.engine.state import BuildState

__all__ = ["BuildPlan", "BuildReport", "BuildState", "PairPlan", "Task", "build", "plan_build", "resolve",
           "with_dependencies"]
