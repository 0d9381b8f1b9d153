"""What ccpipe needs only under Airflow: notifiers, the retry policy and the schedule's first
date. The one package of ccpipe that imports Airflow (checked by import-linter), so the CLI
runs without it."""
