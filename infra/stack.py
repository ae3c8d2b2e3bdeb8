"""The stack: composes one construct per capability and publishes what a caller needs as outputs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from contracts import environment as env
from contracts import stack as outputs
from infra.bulk_reset import BulkResetWorkflow
from infra.bundling import SOURCE_ONLY_WARNING, builds_bytecode
from infra.bus_policy import RequestBusPolicy, Writers
from infra.custom_message import CustomMessageTrigger
from infra.delivery_events import DeliveryEvents
from infra.event_ingress import RequestRule, request_bus
from infra.failed_requests import FailedRequestQueue
from infra.monitoring import Monitored, ResetMonitoring
from infra.operator_policy import OperatorPolicy
from infra.reset_function import ResetFunction, user_pool_arn
from infra.settings import Settings
from infra.single_reset import SingleResetWorkflow
from infra.user_pool import ResetUserPool


class PasswordResetStack(cdk.Stack):
    """Event-driven administrator password resets for one Cognito user pool (new or existing)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        key = kms.Key(
            self,
            "MessageKey",
            description="Encrypts the password reset stack's failed requests (SQS) and alarm notifications (SNS)",
            enable_key_rotation=True,
        )
        trigger = CustomMessageTrigger(self, "CustomMessage", settings=settings)
        delivery_events = DeliveryEvents(self, "DeliveryEvents", settings=settings)
        pool = ResetUserPool(
            self,
            "UserPool",
            settings=settings,
            custom_message=trigger.function,
            configuration_set_name=delivery_events.configuration_set_name,
        )
        trigger.tell_email_sending_account(pool.email_sending_account)
        trigger.tell_email_verification_option(pool.email_verification_option)
        failed_requests = FailedRequestQueue(self, "FailedRequests", key=key)
        bus = request_bus(self, "RequestBus", settings)
        pool_arns = [
            pool.user_pool_arn,
            *(user_pool_arn(self, pool_id) for pool_id in settings.additional_user_pool_ids),
        ]
        reset = ResetFunction(
            self,
            "Reset",
            settings=settings,
            user_pool_id=pool.user_pool_id,
            user_pool_arns=pool_arns,
            audit_bus=bus,
            failed_requests=failed_requests,
        )
        counting = delivery_events.count_into(
            reset.table,
            configuration_set_name=pool.configuration_set_name,
            log_retention_days=settings.log_retention_days,
        )
        if counting is not None:
            # A bulk run's resets record their recipients (hashed) only where something counts SES's events. For an
            # existing pool that turns out to have no configuration set (known only at deploy time), that record is
            # one best-effort write per reset of a run that nothing reads (delivery_events.py).
            reset.function.add_environment(env.DELIVERY_EVENTS_COUNTED, "true")
        RequestRule(
            self, "Requests", settings=settings, bus=bus, function=reset.function, failed_requests=failed_requests
        )
        single_reset = SingleResetWorkflow(
            self, "SingleReset", function=reset.function, log_retention_days=settings.log_retention_days
        )
        bulk_reset = BulkResetWorkflow(
            self,
            "BulkReset",
            function=reset.function,
            # One batch is one invocation at a time: as many batches in flight as the reserved concurrency allows.
            max_concurrency=settings.reserved_concurrency,
            batch_size=settings.bulk_batch_size,
            tolerated_failure_percentage=settings.bulk_tolerated_failure_percentage,
            log_retention_days=settings.log_retention_days,
            audit_bus=bus,
            evidence_lock_days=settings.bulk_evidence_lock_days,
        )
        RequestBusPolicy(
            self,
            "RequestBusPolicy",
            settings=settings,
            bus=bus,
            writers=Writers(
                requesters=settings.reset_requesters,
                reset_role_arn=reset.lambda_.role.role_arn,
                run_summary_role_arn=bulk_reset.summary.function.role.role_arn,
            ),
            output_name=outputs.REQUEST_BUS_POLICY_STATEMENTS,
        )
        monitoring = ResetMonitoring(
            self,
            "Monitoring",
            watched=Monitored(
                reset_function=reset.function,
                custom_message_function=trigger.function,
                failed_requests=failed_requests.queue,
                single_reset=single_reset.state_machine,
                bulk_reset=bulk_reset.state_machine,
            ),
            key=key,
            alarm_email=settings.alarm_email,
        )
        if not builds_bytecode():
            cdk.Annotations.of(self).add_warning_v2("cognito-admin-reset:source-only-bundles", SOURCE_ONLY_WARNING)
        self._output(outputs.USER_POOL_ID, pool.user_pool_id, "The user pool whose users this stack resets")
        self._output(outputs.EVENT_BUS_NAME, bus.event_bus_name, "Put 'Password Reset Requested' events on this bus")
        self._output(
            outputs.SINGLE_RESET_STATE_MACHINE_ARN, single_reset.state_machine.state_machine_arn, "Resets one user"
        )
        self._output(
            outputs.BULK_RESET_STATE_MACHINE_ARN, bulk_reset.state_machine.state_machine_arn, "Resets a manifest"
        )
        self._output(
            outputs.BULK_BUCKET_NAME,
            bulk_reset.bucket.bucket_name,
            "Upload manifests to manifests/; results land in results/",
        )
        self._output(
            outputs.FAILED_REQUEST_QUEUE_URL, failed_requests.queue.queue_url, "Requests that could not be processed"
        )
        self._output(outputs.RESET_FUNCTION_NAME, reset.function.function_name, "For direct invocation")
        self._output(outputs.ALARM_TOPIC_ARN, monitoring.topic.topic_arn, "Subscribe to be told about alarms")
        self._output(outputs.DASHBOARD_NAME, monitoring.dashboard.dashboard_name, "CloudWatch dashboard")
        self._output(
            outputs.CUSTOM_MESSAGE_FUNCTION_ARN,
            trigger.function.function_arn,
            "The function the pool's CustomMessage trigger names (cognito-reset doctor checks it)",
        )
        self._output(
            outputs.RESET_RATE_BUDGET,
            f"{settings.rate_budget:g}",
            "AdminResetUserPassword calls a second the resets keep to (cognito-reset doctor compares SES's send rate)",
        )
        self._output(
            outputs.MESSAGE_CATALOG,
            trigger.catalog.to_output(),
            "The reasons, brands and locales the trigger knows (cognito-reset checks --reason, --brand and --locale "
            "against them)",
        )

        operators = OperatorPolicy(
            self,
            "Operators",
            bus=bus,
            bucket=bulk_reset.bucket,
            table=reset.table,
            single_reset=single_reset.state_machine,
            bulk_reset=bulk_reset.state_machine,
            user_pool_arns=pool_arns,
        )
        self._output(
            outputs.OPERATOR_POLICY_ARN,
            operators.policy.managed_policy_arn,
            "Attach to the role or SSO permission set of the people who run cognito-reset (least privilege)",
        )
        self._output(
            outputs.RUN_MEMORY_TABLE_NAME,
            reset.table.table_name,
            "What each bulk run did to each user, and its stop mark (cognito-reset stop writes it, redrive lifts it)",
        )
        if counting is not None:
            self._output(
                outputs.DELIVERY_COUNTS_TABLE_NAME,
                reset.table.table_name,
                "Where SES's delivery, bounce and complaint events are counted per run (cognito-reset status)",
            )

    def _output(self, name: str, value: str, description: str) -> None:
        cdk.CfnOutput(self, name, value=value, description=description)
