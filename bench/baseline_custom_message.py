"""The comparison point of the benchmark: the same trigger written "the usual way".

Powertools Logger, Tracer and Metrics, the Powertools Cognito data class, and a Jinja2 Environment over the same
templates, all set up at import time as most examples do. It renders the same message (minus the fallback chain,
the link allowlist and the brand file) so the two handlers do comparable work. Not shipped, not tested: bench only.
"""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import CustomMessageTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "functions", "custom_message", "templates")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


class _Brand:
    name = "ACME Industries"
    primary_colour = "#b3261e"
    accent_colour = "#fbeae9"
    text_colour = "#222222"
    logo_url = "https://assets.acme.example/logo-240x60.png"
    support_email = "security@acme.example"
    support_url = "https://help.acme.example/account"


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@event_source(data_class=CustomMessageTriggerEvent)
def lambda_handler(event: CustomMessageTriggerEvent, _context: LambdaContext) -> dict[str, object]:
    metadata = event.request.client_metadata or {}
    locale = (metadata.get("locale") or "en").split("-")[0].lower()
    reason = metadata.get("reason") or "admin_request"
    folder = f"{locale}/forgot_password/{reason}"
    values = {
        "code": event.request.code_parameter,
        "username": None,
        "given_name": event.request.user_attributes.get("given_name"),
        "reference": metadata.get("reference"),
        "link": None,
        "brand": _Brand,
        "reason": reason,
        "locale": locale,
        "layout": f"{locale}/layout.html",
    }
    event.response.email_subject = environment.get_template(f"{folder}/subject.txt").render(values).strip()
    event.response.email_message = environment.get_template(f"{folder}/body.html").render(values)
    event.response.sms_message = environment.get_template(f"{folder}/sms.txt").render(values).strip()
    metrics.add_metric(name="MessageRendered", unit=MetricUnit.Count, value=1)
    logger.info("messages tailored", extra={"locale": locale, "reason": reason})
    return event.raw_event
