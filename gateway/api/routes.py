"""Every API route, in one table (the OpenAPI test compares it with gateway/openapi.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web


from . import bindings, checkpoint, guardianships, health, key_areas, keys, major_events, monitor, monitoring, passes, \
    people, reports, resumption, schools, sites, tokens, webhooks

API = "/api/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", f"{API}/people", people.create_person),
    ("POST", f"{API}/people/import", people.import_people),
    ("GET", f"{API}/people", people.list_people),
    ("GET", f"{API}/people/{{person_id}}", people.get_person),
    ("PATCH", f"{API}/people/{{person_id}}", people.update_person),
    ("POST", f"{API}/people/{{person_id}}/health-checks", people.add_health_check),
    ("GET", f"{API}/people/{{person_id}}/health-checks", people.list_health_checks),
    ("POST", f"{API}/people/{{person_id}}/quarantine/end", people.end_quarantine),
    ("POST", f"{API}/people/{{person_id}}/clear", people.clear_person),
    ("PUT", f"{API}/people/{{person_id}}/class", schools.set_class),
    ("POST", f"{API}/people/{{person_id}}/contacts", schools.add_contact),
    ("GET", f"{API}/people/{{person_id}}/contacts", schools.list_contacts),
    ("GET", f"{API}/schools/{{school}}/classes", schools.list_classes),
    ("POST", f"{API}/schools/{{school}}/classes", schools.create_class),
    ("PATCH", f"{API}/schools/{{school}}/classes/{{class_code}}", schools.update_class),
    ("GET", f"{API}/schools/{{school}}/file", schools.school_file),
    ("GET", f"{API}/key-areas", key_areas.list_key_areas),
    ("GET", f"{API}/health/not-checked", monitoring.not_checked),
    ("PUT", f"{API}/key-areas/{{prefix}}", key_areas.put_key_area),
    ("DELETE", f"{API}/key-areas/{{prefix}}", key_areas.delete_key_area),
    ("POST", f"{API}/people/{{person_id}}/passes", passes.issue_pass),
    ("POST", f"{API}/people/{{person_id}}/resident-link/rotate", passes.rotate_resident_link),
    ("POST", f"{API}/people/{{person_id}}/holder-binding/reset", bindings.reset_binding),
    ("GET", f"{API}/people/{{person_id}}/guardianships", guardianships.list_guardianships),
    ("POST", f"{API}/people/{{person_id}}/guardianships", guardianships.add_guardianship),
    ("POST", f"{API}/guardianships/{{guardianship_id}}/end", guardianships.end_guardianship),
    ("GET", f"{API}/passes/{{serial}}", passes.get_pass),
    ("POST", f"{API}/passes/{{serial}}/revoke", passes.revoke_pass),
    ("POST", f"{API}/passes/{{serial}}/reissue", passes.reissue_pass),
    ("POST", f"{API}/sites", sites.create_site),
    ("GET", f"{API}/sites", sites.list_sites),
    ("GET", f"{API}/sites/{{code}}", sites.get_site),
    ("PUT", f"{API}/sites/{{code}}", sites.update_site),
    ("PATCH", f"{API}/sites/{{code}}", sites.edit_site),
    ("POST", f"{API}/sites/{{code}}/enrolments", sites.create_enrolment),
    ("POST", f"{API}/sites/{{code}}/resumptions", resumption.apply),
    ("GET", f"{API}/resumptions", resumption.list_resumptions),
    ("GET", f"{API}/resumptions/{{resumption_id}}", resumption.get_resumption),
    ("POST", f"{API}/resumptions/{{resumption_id}}/decision", resumption.decide),
    ("POST", f"{API}/resumptions/{{resumption_id}}/withdrawal", resumption.withdraw),
    ("POST", f"{API}/devices/enroll", sites.enroll_device),
    ("GET", f"{API}/devices/bundle", sites.device_bundle),
    ("GET", f"{API}/devices/time", sites.device_time),
    ("GET", f"{API}/revocations/{{part}}/{{digest}}", sites.revocation_part),
    ("POST", f"{API}/devices/status", sites.device_status),
    ("GET", f"{API}/devices", sites.list_devices),
    ("POST", f"{API}/devices/{{device_id}}/disable", sites.disable_device),
    ("POST", f"{API}/entries", sites.upload_entries),
    ("GET", f"{API}/entries", monitor.list_entries),
    ("POST", f"{API}/checkpoint/records", checkpoint.upload_records),
    ("GET", f"{API}/handovers", checkpoint.list_handovers),
    ("GET", f"{API}/handovers/{{handover_id}}", checkpoint.get_handover),
    ("POST", f"{API}/handovers/{{handover_id}}/steps", checkpoint.step_handover),
    ("GET", f"{API}/major-events", major_events.list_major_events),
    ("POST", f"{API}/major-events/{{event_id}}/acknowledge", major_events.acknowledge_major_event),
    ("GET", f"{API}/webhooks", webhooks.list_webhooks),
    ("PUT", f"{API}/webhooks/{{township}}", webhooks.put_webhook),
    ("GET", f"{API}/webhook-deliveries", webhooks.list_deliveries),
    ("POST", f"{API}/webhook-deliveries/{{delivery_id}}/retry", webhooks.retry_delivery),
    ("GET", f"{API}/alerts", monitor.list_alerts),
    ("GET", f"{API}/audit", monitor.list_audit),
    ("GET", f"{API}/tokens", tokens.list_tokens),
    ("POST", f"{API}/tokens/{{token_id}}/revoke", tokens.revoke_token),
    ("GET", f"{API}/reports/daily", reports.daily_report),
    ("GET", f"{API}/keys", keys.list_keys),
    ("POST", f"{API}/keys/rotate", keys.rotate_key),
    ("POST", f"{API}/keys/{{kid}}/withdraw", keys.withdraw_key),
    ("GET", f"{API}/reissue-jobs", keys.list_jobs),
    ("GET", f"{API}/reissue-jobs/{{job_id}}", keys.get_job),
    ("GET", "/.well-known/jwks.json", monitor.jwks),
    ("GET", f"{API}/openapi.json", monitor.openapi_document),
    ("GET", "/healthz", health.healthz),
    ("GET", "/readyz", health.readyz),
    ("GET", "/metrics", health.metrics),
]


def setup_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
