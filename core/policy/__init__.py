"""The merged policy: catalog, jurisdictions, layers, resolution, constraints, loading, local
settings."""
