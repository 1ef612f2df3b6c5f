"""Where the model's SQL runs: DuckDB embedded (default) or Spark, behind one small protocol.

The engine builds the feature table in Python (pyarrow), hands it to a backend, and gets Splink's
scored pairs back as a pyarrow table. Everything in between is Splink on the backend's database
API, so a model trained on one backend gives the same scores on the other.

``SparkBackend`` takes a SparkSession from its caller (local mode in tests, a cluster in production)
or starts a local one with the given number of cores; the engine never reads the environment.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

__all__ = ["Backend", "DuckDBBackend", "SparkBackend", "backend_named"]


class Backend(Protocol):
    """A Splink database API plus conversions between it and Arrow tables."""

    name: str

    def db_api(self) -> Any:
        """A fresh Splink database API (one per linker: table names must not collide)."""
        ...

    def register(self, db_api: Any, table: pa.Table, name: str) -> Any:
        """Register an Arrow table with ``db_api`` and return the SplinkDataFrame."""
        ...

    def to_arrow(self, splink_df: Any) -> pa.Table:
        """The rows of a SplinkDataFrame as an Arrow table."""
        ...


@dataclass
class DuckDBBackend:
    """DuckDB in this process: the default, fast up to a few million records on one machine.

    ``threads`` and ``memory_limit`` bound what DuckDB may take; ``temp_directory`` is where it
    spills when a join outgrows memory.
    """

    threads: int | None = None
    memory_limit: str | None = "3GB"
    temp_directory: str | None = None
    name: str = "duckdb"

    def db_api(self) -> Any:
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect(":memory:")
        if self.threads:
            connection.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit:
            connection.execute(f"SET memory_limit = '{self.memory_limit}'")
        connection.execute("SET preserve_insertion_order = false")
        temp = self.temp_directory or tempfile.gettempdir()
        connection.execute(f"SET temp_directory = '{temp}'")
        return DuckDBAPI(connection)

    def register(self, db_api: Any, table: pa.Table, name: str) -> Any:
        return db_api.register(table, table_name=name)

    def to_arrow(self, splink_df: Any) -> pa.Table:
        relation = splink_df.as_duckdbpyrelation()
        result = relation.arrow()
        return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


@dataclass
class SparkBackend:
    """Spark: the same model for populations beyond one machine.

    Pass ``spark_session`` to run on an existing session (a cluster); otherwise a local session with
    ``cores`` workers is started (and reused by later calls in the process).
    """

    spark_session: Any = None
    cores: int = 2
    shuffle_partitions: int = 8
    name: str = "spark"
    _checkpoint_dir: str = field(default="", repr=False)

    def session(self) -> Any:
        if self.spark_session is None:
            from pyspark.sql import SparkSession

            self._checkpoint_dir = tempfile.mkdtemp(prefix="safepassage-spark-")
            self.spark_session = (
                SparkSession.builder.master(f"local[{self.cores}]")
                .appName("safepassage-linking")
                .config("spark.sql.shuffle.partitions", str(self.shuffle_partitions))
                .config("spark.default.parallelism", str(self.shuffle_partitions))
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.memory", "4g")
                .getOrCreate()
            )
            self.spark_session.sparkContext.setCheckpointDir(self._checkpoint_dir)
            self.spark_session.sparkContext.setLogLevel("ERROR")
        return self.spark_session

    def db_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self.session(), num_partitions_on_repartition=self.shuffle_partitions
        )

    def register(self, db_api: Any, table: pa.Table, name: str) -> Any:
        frame = self.session().createDataFrame(table)  # Arrow keeps the column types exactly
        return db_api.register(frame, table_name=name)

    def to_arrow(self, splink_df: Any) -> pa.Table:
        frame = splink_df.as_spark_dataframe()
        return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def backend_named(name: str) -> Backend:
    """The backend for a ``--backend`` value (``duckdb`` or ``spark``)."""
    if name == "duckdb":
        return DuckDBBackend()
    if name == "spark":
        return SparkBackend()
    raise ValueError(f"unknown backend '{name}': use duckdb or spark")
