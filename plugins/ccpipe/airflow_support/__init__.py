"""What ccpipe needs only under Airflow: notifiers and the retry policy. The one package of
ccpipe that imports Airflow (checked by import-linter), so the CLI runs without it."""
