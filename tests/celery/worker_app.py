"""The Celery app whose workers the CeleryBackend tests ask over the broker.

scripts/celery-worker.sh configures it through the environment:

- HEALTHZ_CELERY_BROKER: the broker URL (amqp://... or redis://...).
- HEALTHZ_CELERY_NAMESPACE: Celery's ``control_exchange`` (default ``celery``).
  A test gives each worker its own, so that workers of tests running side by side
  never answer each other's broadcasts.
- HEALTHZ_CELERY_QUEUES: comma-separated task queues to consume. They are
  declared non-durable and auto-deleted, so they vanish with the worker. Without it
  the worker consumes Celery's default queue, declared as Celery always does.
- HEALTHZ_CELERY_TLS_CA: the CA file that verifies the broker's certificate, for an
  ``amqps://`` broker URL.
"""

import os
import ssl

from celery import Celery
from kombu import Exchange, Queue

app = Celery("healthz_tests", broker=os.environ["HEALTHZ_CELERY_BROKER"])
app.conf.control_exchange = os.environ.get("HEALTHZ_CELERY_NAMESPACE", "celery")
app.conf.broker_connection_retry_on_startup = True
if app.conf.broker_url.startswith(("amqps://", "pyamqps://")):
    app.conf.broker_use_ssl = {
        "ca_certs": os.environ["HEALTHZ_CELERY_TLS_CA"],
        "cert_reqs": ssl.CERT_REQUIRED,
    }

_queues = [q for q in os.environ.get("HEALTHZ_CELERY_QUEUES", "").split(",") if q]
if _queues:
    app.conf.task_queues = [
        Queue(
            name,
            Exchange(name, durable=False, auto_delete=True),
            routing_key=name,
            durable=False,
            auto_delete=True,
        )
        for name in _queues
    ]


@app.task
def noop():
    """A registered task, so the worker looks like a real one; the tests never call it."""
    return "ok"
