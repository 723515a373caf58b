"""The low-income register (低收入人口): categories, tags, marks and re-assessment (model), and
its store."""
