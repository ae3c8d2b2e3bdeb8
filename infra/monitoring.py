"""Alarms and a dashboard: the signals an operator of password resets acts on.

Alarms: either function erroring or being throttled, anything in the failed-request queue, the custom message
trigger falling back to a simpler template, Cognito refusing the trigger's answer (TRIGGER_REJECTED resets),
single- or bulk-reset executions failing. They notify one encrypted,
TLS-only SNS topic (with an e-mail subscription when `alarmEmail` is set).

Built from aws-cdk-lib's own CloudWatch constructs, not cdk-monitoring-constructs: see the note above `_alarms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from contracts import telemetry
from contracts.results import (
    DELIVERY_LIMIT_REACHED_ERROR,
    TRANSIENT_RESET_ERROR,
    UNCLASSIFIED_RESET_ERROR,
    FailureReason,
)
from contracts.telemetry import NAMESPACE, REASON_DIMENSION, SERVICE_DIMENSION

PERIOD: Final = cdk.Duration.minutes(5)
TEMPLATE_FALLBACK_DIMENSIONS: Final = {SERVICE_DIMENSION: telemetry.CUSTOM_MESSAGE_SERVICE}
# The reset function counts each failure with its reason (reset_password/observability.py).
TRIGGER_REJECTED_DIMENSIONS: Final = {
    SERVICE_DIMENSION: telemetry.RESET_SERVICE,
    REASON_DIMENSION: FailureReason.TRIGGER_REJECTED.value,
}
RESET_CAP_REACHED_DIMENSIONS: Final = {
    SERVICE_DIMENSION: telemetry.RESET_SERVICE,
    REASON_DIMENSION: FailureReason.RESET_CAP_REACHED.value,
}
RESET_CAP_REACHED_DESCRIPTION: Final = (
    f"The event path's storm cap refused resets (reason {FailureReason.RESET_CAP_REACHED}): more resets were asked "
    "for through events in the last hour than the stack's eventResetsPerHour allows. A compromised integration, or "
    "a mass reset sent as events instead of a bulk run. The refused requests wait in the failed-request queue."
)
TRIGGER_REJECTED_DESCRIPTION: Final = (
    f"Cognito refused the CustomMessage trigger's answer and failed resets (reason {FailureReason.TRIGGER_REJECTED}). "
    "If the user pool's e-mail configuration changed since the last deploy, the trigger still works to the old "
    "EmailSendingAccount: redeploy (an existing pool: with a new existingUserPoolConfigRevision) so that it reads the "
    "pool's mode again. Otherwise the trigger's log says which answer Cognito refused."
)


def _failed_for(dimensions: Mapping[str, str]) -> cloudwatch.Metric:
    """The reset function's failures of one reason (ResetFailed with its Reason dimension)."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=telemetry.RESET_FAILED,
        dimensions_map=dict(dimensions),
        statistic="Sum",
        period=PERIOD,
    )


def _template_fallbacks() -> cloudwatch.Metric:
    """What the custom message trigger counts each time it answers with a simpler template (alarm and dashboard)."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=telemetry.TEMPLATE_FALLBACK,
        dimensions_map=TEMPLATE_FALLBACK_DIMENSIONS,
        statistic="Sum",
        period=PERIOD,
    )


@dataclass(frozen=True, slots=True)
class Monitored:
    """What the monitoring watches."""

    reset_function: lambda_.IFunction
    custom_message_function: lambda_.IFunction
    failed_requests: sqs.IQueue
    single_reset: sfn.IStateMachine
    bulk_reset: sfn.IStateMachine


class ResetMonitoring(Construct):
    """The alarm topic, the alarms and the dashboard."""

    def __init__(
        self, scope: Construct, construct_id: str, *, watched: Monitored, key: kms.IKey, alarm_email: str | None
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        # CloudWatch publishes alarm notifications as its service principal: the topic's own policy (which replaces
        # SNS's default one once TLS is enforced) and the key must both let it, for this account's alarms only.
        stack = cdk.Stack.of(self)
        cloudwatch_alarms = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        own_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_alarms],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=own_alarms,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_alarms],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=own_alarms,
            )
        )
        if alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms = self._alarms(watched)
        notify = actions.SnsAction(self.topic)
        for alarm in self.alarms.values():
            alarm.add_alarm_action(notify)
        self.dashboard = self._dashboard(watched)

    # Why not cdk-monitoring-constructs (10.3.3, the newest, tried here: it installs beside aws-cdk-lib 2.275.0 and
    # jsii 1.142.0 with no new dependency, adds ~0.2 s to importing the app and ~0.5 s to a synth, and cdk-nag and
    # cfn-lint find nothing in what it makes). Its MonitoringFacade (monitorLambdaFunction, monitorSqsQueue,
    # monitorStepFunction, monitorCustom, the topic through SnsAlarmActionStrategy) can be told every setting below,
    # but only by overriding its defaults on each alarm, and seven of the nine alarms still come out different:
    # - It labels the metrics it makes (Lambda Errors "Faults", Throttles "Throttles", the queue's
    #   ApproximateNumberOfMessagesVisible "Visible", Step Functions ExecutionsFailed "Failed") and keeps the label on
    #   the alarm's metric; aws-cdk-lib renders an alarm on a labelled metric as a Metrics/MetricStat query, so those
    #   seven alarms would lose their own Namespace, MetricName, Dimensions and Statistic (and graph Lambda's Errors as
    #   "Faults"). Only a custom IMetricAdjuster, called back from Node into Python for each alarm, takes it off again.
    # - Its count alarms mean "more than N" (GreaterThanThreshold, max 0 where we alarm at >= 1), alarm on 3
    #   datapoints, treat missing queue and custom data as MISSING, and describe themselves as "... count is too high";
    #   each alarm here would override comparison, threshold, periods, missing data and description.
    # - It names every alarm itself (an AlarmName, the construct id), so all nine would be replaced on the next deploy.
    # - Its dashboard is per-resource generic widgets (TPS, Latency, Rates, Iterator, Message Size, Time to drain, 16
    #   titles in ~20 KB), without the outcomes and failures by reason below: the dashboard stays ours either way.
    # Its two alarms on our own metrics (monitorCustom) do come out as ours (plus AlarmName); taking the library for
    # those two alone would give this module two ways to build one alarm, and the project a 13 MB dependency, to
    # save nothing.
    def _alarms(self, watched: Monitored) -> Mapping[str, cloudwatch.Alarm]:
        any_at_all = {
            "ResetFunctionErrors": (
                watched.reset_function.metric_errors(period=PERIOD),
                f"The reset function raised ({TRANSIENT_RESET_ERROR} after its retries, {UNCLASSIFIED_RESET_ERROR}, or "
                f"{DELIVERY_LIMIT_REACHED_ERROR} for a bulk batch)",
            ),
            "CustomMessageErrors": (
                watched.custom_message_function.metric_errors(period=PERIOD),
                "The custom message trigger failed: Cognito rejects the reset it was rendering",
            ),
            "CustomMessageThrottles": (
                watched.custom_message_function.metric_throttles(period=PERIOD),
                "The custom message trigger was throttled: Cognito rejects the reset it was rendering",
            ),
            "FailedRequests": (
                watched.failed_requests.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                "Reset requests are waiting in the failed-request queue for a decision",
            ),
            "TemplateFallbacks": (
                _template_fallbacks(),
                "The custom message trigger fell back to a simpler template or Cognito's default message",
            ),
            "ResetsRejectedByTrigger": (_failed_for(TRIGGER_REJECTED_DIMENSIONS), TRIGGER_REJECTED_DESCRIPTION),
            "ResetCapReached": (_failed_for(RESET_CAP_REACHED_DIMENSIONS), RESET_CAP_REACHED_DESCRIPTION),
            "DeliveryLimitReached": (
                cloudwatch.Metric(
                    namespace=NAMESPACE,
                    metric_name=telemetry.DELIVERY_LIMIT_REACHED,
                    dimensions_map={SERVICE_DIMENSION: telemetry.RESET_SERVICE},
                    statistic="Sum",
                    period=PERIOD,
                ),
                "The user pool's e-mail delivery limit for the day is reached (Cognito's own sender, or the SES "
                "account's daily quota): resets fail or bulk runs halt until it rolls over. `cognito-reset doctor` "
                "shows the pool's limits; a halted run continues with `cognito-reset redrive`.",
            ),
            "SingleResetExecutionsFailed": (
                watched.single_reset.metric_failed(period=PERIOD),
                "Single-reset executions failed after their retries",
            ),
            "BulkResetExecutionsFailed": (
                watched.bulk_reset.metric_failed(period=PERIOD),
                "A bulk reset stopped: more batches failed than its tolerated failure percentage",
            ),
        }
        alarms = {
            name: self._alarm(name, metric, description, threshold=1, periods=1)
            for name, (metric, description) in any_at_all.items()
        }
        # Throttling of the reset function is how the reserved concurrency keeps the rate budget; it is a problem only
        # when it lasts (the budget is too small for the demand, and requests age towards the failed-request queue).
        alarms["ResetFunctionThrottles"] = self._alarm(
            "ResetFunctionThrottles",
            watched.reset_function.metric_throttles(period=PERIOD),
            "The reset function was throttled for 15 minutes: requests arrive faster than the rate budget",
            threshold=1,
            periods=3,
        )
        return alarms

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, description: str, *, threshold: float, periods: int
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _dashboard(self, watched: Monitored) -> cloudwatch.Dashboard:
        outcomes = [
            cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name=name,
                dimensions_map={SERVICE_DIMENSION: telemetry.RESET_SERVICE},
                statistic="Sum",
                period=PERIOD,
                label=label,
            )
            for name, label in (
                (telemetry.RESET_SUCCEEDED, "reset"),
                (telemetry.RESET_SKIPPED, "skipped (duplicate)"),
                (telemetry.RESET_TRANSIENT_ERROR, "transient error"),
            )
        ]
        failures_by_reason = cloudwatch.MathExpression(
            expression=(
                f"SEARCH('{{{NAMESPACE},{REASON_DIMENSION},{SERVICE_DIMENSION}}} "
                f"MetricName=\"{telemetry.RESET_FAILED}\"', 'Sum', {PERIOD.to_seconds():.0f})"
            ),
            label="failed",
            period=PERIOD,
        )
        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(3))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Reset outcomes", left=outcomes, width=12),
            cloudwatch.GraphWidget(title="Permanent failures by reason", left=[failures_by_reason], width=12),
        )
        dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=title,
                    left=[function.metric_invocations(period=PERIOD), function.metric_errors(period=PERIOD)],
                    right=[function.metric_throttles(period=PERIOD)],
                    width=6,
                )
                for title, function in (
                    ("Reset function", watched.reset_function),
                    ("Custom message trigger", watched.custom_message_function),
                )
            ),
            *(
                cloudwatch.GraphWidget(
                    title=f"{title} duration",
                    left=[
                        function.metric_duration(period=PERIOD, statistic=stat) for stat in ("p50", "p99", "Maximum")
                    ],
                    width=6,
                )
                for title, function in (
                    ("Reset function", watched.reset_function),
                    ("Custom message trigger", watched.custom_message_function),
                )
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Template fallbacks",
                left=[_template_fallbacks()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failed-request queue",
                left=[watched.failed_requests.metric_approximate_number_of_messages_visible(period=PERIOD)],
                width=8,
            ),
            *(
                cloudwatch.GraphWidget(
                    title=title,
                    left=[
                        machine.metric_succeeded(period=PERIOD),
                        machine.metric_failed(period=PERIOD),
                        machine.metric_timed_out(period=PERIOD),
                    ],
                    width=4,
                )
                for title, machine in (
                    ("Single-reset executions", watched.single_reset),
                    ("Bulk-reset executions", watched.bulk_reset),
                )
            ),
            cloudwatch.AlarmStatusWidget(alarms=list(self.alarms.values()), title="Alarms", width=24),
        )
        return dashboard
