"""HTTP handlers under /api/v1: parse, authorise, call the domain, shape the JSON. Nothing else."""
