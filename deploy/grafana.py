"""The Grafana dashboard over the services' Prometheus metrics: FastStream's per-handler faststream_*
metrics (labels app_name = service, handler = consumer group and topic) and the kit's own: the outbox,
the dead letters and the periodic jobs (retentions; label task = the job's name)."""

from __future__ import annotations

from typing import Any

PANELS = [
    ("Messages consumed per second, by service and handler",
     "sum by (app_name, handler) (rate(faststream_received_messages_total[1m]))", "ops"),
    ("Messages processed per second, by status",
     "sum by (app_name, status) (rate(faststream_received_processed_messages_total[1m]))", "ops"),
    ("Batch processing time p99, by handler",
     "histogram_quantile(0.99, sum by (le, app_name, handler) "
     "(rate(faststream_received_processed_messages_duration_seconds_bucket[5m])))", "s"),
    ("Messages in process, by handler",
     "sum by (app_name, handler) (faststream_received_messages_in_process)", "short"),
    ("Handler exceptions per second",
     "sum by (app_name, handler, exception_type) "
     "(rate(faststream_received_processed_messages_exceptions_total[5m]))", "ops"),
    ("Events published by the outbox relay per second",
     "sum by (job, instance) (rate(fse_outbox_published_total[1m]))", "ops"),
    ("Messages dead-lettered (last hour)",
     "sum by (job, instance) (increase(fse_dead_lettered_total[1h]))", "short"),
    ("Messages published per second (dead letters included)",
     "sum by (app_name, destination) (rate(faststream_published_messages_total[1m]))", "ops"),
    ("Hours since each retention last succeeded (alert past twice its interval)",
     "(time() - max by (job, instance, task) (fse_periodic_last_success_timestamp_seconds)) / 3600", "h"),
    ("Rows deleted by the retentions (last 24 hours)",
     "sum by (job, instance, task) (increase(fse_periodic_deleted_rows_total[24h]))", "short"),
    ("Failed rounds of the retentions (last 24 hours)",
     "sum by (job, instance, task) (increase(fse_periodic_rounds_total{outcome=\"failed\"}[24h]))", "short"),
]  # fmt: skip


def dashboard() -> dict[str, Any]:
    panels = []
    for number, (title, expression, unit) in enumerate(PANELS):
        panels.append(
            {
                "id": number + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": 12 * (number % 2), "y": 8 * (number // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "expr": expression, "legendFormat": "__auto"}],
            }
        )
    return {
        "uid": "fse-throughput",
        "title": "FSE: throughput, latency, outbox and dead letters per service",
        "tags": ["fse", "kafka", "faststream"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}
            ]
        },
        "panels": panels,
    }
