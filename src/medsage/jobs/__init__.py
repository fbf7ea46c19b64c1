"""Batch jobs over large inputs: the same partitions in-process, in a local pool or on Ray.

`run_job(kind, input, output)` cuts a JSONL, CSV or Parquet input into partitions of
`batch_size` records, runs a job kind (`JOB_KINDS`: deid, classify, diagnose, embed, screen,
index) on each, and commits one part file per partition atomically, so a killed job resumes
(`resume=True`) with no duplicates and no gaps. See docs/jobs.md.
"""

from __future__ import annotations

from medsage.jobs._builtin import REPRODUCIBLE_OPERATORS
from medsage.jobs._inputs import Partition, plan_partitions
from medsage.jobs._kinds import JOB_KINDS, JobKind, OptionSpec
from medsage.jobs._notes import SentencePool, generate_notes, sentence_pool, synthetic_notes
from medsage.jobs._outputs import MANIFEST, OUTPUT_FORMATS, SUCCESS
from medsage.jobs._run import EXECUTORS, JobResult, run_job

__all__ = [
    "EXECUTORS",
    "JOB_KINDS",
    "MANIFEST",
    "OUTPUT_FORMATS",
    "REPRODUCIBLE_OPERATORS",
    "SUCCESS",
    "JobKind",
    "JobResult",
    "OptionSpec",
    "Partition",
    "SentencePool",
    "generate_notes",
    "plan_partitions",
    "run_job",
    "sentence_pool",
    "synthetic_notes",
]
