"""doudi core: households, programs, the policy parameter catalog, jurisdictions and resolution."""

__version__ = "0.1.0"
