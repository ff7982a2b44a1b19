"""The API, web pages and the command line: accept, store, enqueue and serve."""
