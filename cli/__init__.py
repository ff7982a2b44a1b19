"""The ``callscope`` command: analyze, serve, worker, keys, requeue, models. The top layer: it may
import every other package."""
