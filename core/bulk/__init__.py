"""The bulk engine: stored registers decided by the million, on DuckDB or Spark."""
