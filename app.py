"""Run the dashboard: `python app.py` (development server) or `gunicorn app:server` (production)."""

from dashboard import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=False)
