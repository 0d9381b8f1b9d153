# The ccpipe Airflow image: the same pinned lock as `make setup` (constraints.txt), on the same
# Python, plus the PostgreSQL driver the metadata database needs. One image for every Airflow
# service in docker-compose.yml and for the `ccpipe` command line.
FROM python:3.11-slim-bookworm

ARG AIRFLOW_UID=50000
ENV AIRFLOW_HOME=/opt/airflow \
    CCPIPE_PROJECT_DIR=/opt/airflow \
    CCPIPE_HOME=/opt/ccpipe \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# curl for the health checks, tini to reap the task processes the LocalExecutor forks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir /opt/airflow --create-home airflow \
    && mkdir -p /opt/ccpipe \
    && chown -R "${AIRFLOW_UID}:0" /opt/airflow /opt/ccpipe

WORKDIR /opt/airflow

# Dependencies first (cached while only code changes): the lock, then the package itself,
# editable, so the plugins/ folder docker-compose mounts is the code that runs.
COPY pyproject.toml constraints.txt ./
COPY plugins/ ./plugins/
COPY tools/ ./tools/
RUN pip install -c constraints.txt -e . psycopg2-binary==2.9.13

COPY dags/ ./dags/
COPY dbt_project.yml profiles.yml ./
COPY dbt_project/ ./dbt_project/
COPY expectations/ ./expectations/
RUN chown -R "${AIRFLOW_UID}:0" /opt/airflow

USER ${AIRFLOW_UID}
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]
