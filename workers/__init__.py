"""RQ code: the analysis job, the callback deliveries and the worker that runs them. It imports
:mod:`analysis` and :mod:`store`, never the web app."""
