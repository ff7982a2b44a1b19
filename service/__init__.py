"""The HTTP API and the web pages (Flask): accept, store, enqueue by name and serve. It imports
:mod:`store` (and the report model of :mod:`analysis`), never the workers or the analysis stack."""
