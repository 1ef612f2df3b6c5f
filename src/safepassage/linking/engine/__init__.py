"""The linking engine: pure (no database, no web stack); Splink on DuckDB or Spark behind a backend protocol.

Public API:

* ``link(records, settings) -> LinkResult``: batch deduplication into clusters with explained pairs;
* ``LinkIndex(records, model)``: a registry prepared for ``score_new_record`` (is this registration
  a duplicate?) and ``trace`` (family tracing requests), with a trained model and no retraining;
* ``read_records_csv`` / ``read_requests_csv``: the CSV formats of ``safepassage link`` and ``trace``.

How it decides is told in docs/linking.md.
"""

from safepassage.linking.engine.backends import Backend, DuckDBBackend, SparkBackend, backend_named
from safepassage.linking.engine.csvio import read_requests_csv
from safepassage.linking.engine.index import Candidate, LinkIndex, TracingRequest
from safepassage.linking.engine.link import LinkResult, LinkSettings, link
from safepassage.linking.engine.prior import prior_model
from safepassage.linking.engine.records import InputFileError, PersonRecord, Problem, read_records_csv
from safepassage.linking.engine.training import TrainingOptions

__all__ = [
    "Backend",
    "Candidate",
    "DuckDBBackend",
    "InputFileError",
    "LinkIndex",
    "LinkResult",
    "LinkSettings",
    "PersonRecord",
    "Problem",
    "SparkBackend",
    "TracingRequest",
    "TrainingOptions",
    "backend_named",
    "link",
    "prior_model",
    "read_records_csv",
    "read_requests_csv",
]
