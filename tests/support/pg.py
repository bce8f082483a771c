"""The tests' throwaway PostgreSQL cluster (it lives in the package: the benchmark uses it too)."""

from gangwen_dash.pgcluster import PgCluster

__all__ = ["PgCluster"]
