"""Where requests end up when they could not be processed: one encrypted, TLS-only queue, and its key.

Both delivery failures (EventBridge could not invoke the function) and processing failures (the function's async
invocation failed after its retries) land here, so an operator has one place to look and one alarm to watch. The
messages say which is which: EventBridge's carry the original event with ERROR_CODE/RULE_ARN message attributes,
Lambda's are invocation records with `requestPayload` and `responsePayload`.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

RETENTION: Final = cdk.Duration.days(14)


class FailedRequestQueue(Construct):
    """A KMS-encrypted, TLS-only dead-letter queue for reset requests (requests hold user identifiers)."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=RETENTION,
        )
        acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the request rule's target and of the reset function's "
            "asynchronous invocations; a dead-letter queue of a dead-letter queue would only move the same messages.",
        )

    def send_policy(self, scope: Construct, construct_id: str, role: iam.IRole) -> iam.Policy:
        """Exactly what sending to a KMS-encrypted queue needs (CDK's own grant adds kms:ReEncrypt* and wildcards).

        A policy of its own rather than a statement in the role's default policy: the function depends on its role's
        default policy, the rule depends on the function, and the key policy names the rule, so a queue (and key)
        reference in the default policy would close a dependency cycle.
        """
        return iam.Policy(
            scope,
            construct_id,
            roles=[role],
            statements=[
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]),
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn]),
            ],
        )

    def allow_service_through_key(self, service: str, source_arn: str) -> None:
        """Let an AWS service encrypt messages for this queue, only on behalf of the one resource `source_arn`."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(service)],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"ArnEquals": {"aws:SourceArn": source_arn}},
            )
        )

    def as_failure_destination(self) -> lambda_.IDestination:
        """The queue as an async on-failure destination, without CDK's broader automatic grant."""
        return _QueueDestination(self.queue)


@jsii.implements(lambda_.IDestination)
class _QueueDestination:
    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, _scope: Construct, _fn: lambda_.IFunction, *, type: lambda_.DestinationType | None = None
    ) -> lambda_.DestinationConfig:
        # Permissions are granted explicitly by FailedRequestQueue.send_policy.
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)
