"""Compose the analysis stages into jobs: the pipeline, the report and its summary."""
