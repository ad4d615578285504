"""gunicorn's settings for the dashboard, read by `gunicorn app:server` run from this folder.

keepalive: a connection a browser keeps open is closed only after 75 s without a request (nginx's
default), not gunicorn's 2 s. With 2 s, under load a worker's thread that closed an idle connection could
meet the browser's next request arriving on it at that moment, and the browser got a reset
(`python -m benchmarks.load --ingests`: 6 of 19,288 answers, gunicorn's threaded worker, 2 busy cores).
"""

keepalive = 75
