"""The user pool: a new one with secure defaults, or an existing one, with the CustomMessage trigger attached."""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contracts import custom_resources as resources
from contracts.cognito import COGNITO_DEFAULT, COGNITO_DEFAULT_DAILY_EMAILS, DEVELOPER
from infra.nag import acknowledge
from infra.pool_trigger_attachment import (
    PoolTriggerAttachment,
    pool_configuration_handler,
    pool_custom_resource,
)
from infra.reset_function import user_pool_arn
from infra.settings import Settings

# What synth says of a new pool without an SES identity, in one line: under COGNITO_DEFAULT Cognito refuses a trigger's
# e-mail, and the operator CLI refuses a bulk run above what the pool can deliver (`cognito-reset doctor`).
NO_SES_WARNING: Final = (
    f"No sesFromAddress: e-mail goes out untailored through Cognito's own sender, about {COGNITO_DEFAULT_DAILY_EMAILS} "
    "a day, and bulk runs above that are refused; docs/deploy.md sets up the SES identity."
)


class ResetUserPool(Construct):
    """Exposes `user_pool_id`, `user_pool_arn`, `email_sending_account`, `email_verification_option` and
    `configuration_set_name` whichever way the pool came to be."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        custom_message: lambda_.IFunction,
        configuration_set_name: str | None = None,
    ) -> None:
        """`configuration_set_name`: the SES configuration set a new pool sends through (delivery_events.py). Exposed
        as `configuration_set_name`: that one for a new pool (None: none), the pool's own, read at deploy time, for an
        existing pool ("" when it has none)."""
        super().__init__(scope, construct_id)
        if settings.existing_user_pool_id is None:
            pool = self._new_pool(settings, custom_message, configuration_set_name)
            self.user_pool_id = pool.user_pool_id
            self.user_pool_arn = pool.user_pool_arn
            self.email_sending_account = DEVELOPER if settings.sends_email_through_ses else COGNITO_DEFAULT
            self.email_verification_option = default_email_option(pool)
            self.configuration_set_name = configuration_set_name
            self._detach_trigger_when_released(pool, custom_message, settings)
        else:
            self.user_pool_id = settings.existing_user_pool_id
            self.user_pool_arn = user_pool_arn(self, settings.existing_user_pool_id)
            attachment = PoolTriggerAttachment(
                self,
                "TriggerAttachment",
                user_pool_id=self.user_pool_id,
                user_pool_arn=self.user_pool_arn,
                trigger=custom_message,
                sms_role_arn=settings.existing_user_pool_sms_role_arn,
                configuration_revision=settings.existing_user_pool_config_revision,
                log_retention_days=settings.log_retention_days,
            )
            self.email_sending_account = attachment.email_sending_account
            self.email_verification_option = attachment.email_verification_option
            self.configuration_set_name = attachment.configuration_set_name

    def _detach_trigger_when_released(
        self, pool: cognito.UserPool, custom_message: lambda_.IFunction, settings: Settings
    ) -> None:
        """The pool is retained when the stack lets go of it (it holds the users); the trigger function is not.

        A retained pool whose CustomMessage still named the deleted function would fail every message it sends
        (sign-up codes, users' own password resets, invitations), so on its way out the stack detaches the trigger
        and leaves the pool with Cognito's default messages: the pool as it was before the stack attached anything.
        Keeping the function instead (with its role and Cognito's permission) would leave code running that nothing
        deploys, monitors or updates any more.

        The detachment depends on the pool and on the trigger, so CloudFormation deletes it (and it detaches) before
        it deletes the function.
        """
        handler = pool_configuration_handler(
            self, user_pool_arn=pool.user_pool_arn, sms_role_arn=None, log_retention_days=settings.log_retention_days
        )
        pool_custom_resource(
            self,
            "TriggerDetachment",
            handler=handler,
            resource_type=resources.CUSTOM_MESSAGE_TRIGGER_DETACHMENT,
            properties={resources.USER_POOL_ID: pool.user_pool_id, resources.TRIGGER_ARN: custom_message.function_arn},
        )

    def _new_pool(
        self, settings: Settings, custom_message: lambda_.IFunction, configuration_set_name: str | None
    ) -> cognito.UserPool:
        if settings.ses_from_address is None:
            email = cognito.UserPoolEmail.with_cognito()
            cdk.Annotations.of(self).add_warning_v2("cognito-admin-reset:no-ses", NO_SES_WARNING)
        else:
            email = cognito.UserPoolEmail.with_ses(
                from_email=settings.ses_from_address,
                from_name=settings.ses_from_name,
                ses_region=settings.ses_region,
                ses_verified_domain=settings.ses_verified_domain,
                configuration_set_name=configuration_set_name,
            )
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # A changed e-mail address takes effect only once verified: a reset code never goes to an unverified one.
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                locale=cognito.StandardAttribute(required=False, mutable=True),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            email=email,
            lambda_triggers=cognito.UserPoolTriggers(custom_message=custom_message),
            deletion_protection=True,
            # A pool holds the users themselves: deleting the stack must never delete them.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            pool,
            "AwsSolutions-COG2",
            "MFA is offered (TOTP, optional) but not enforced: whether sign-in requires it is the pool owner's policy, "
            "and administrator resets do not depend on it. Set it on the pool to enforce.",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG3",
            "Threat protection (advanced security) needs the Plus feature plan, a per-user cost the pool owner "
            "chooses; this stack's resets are administrator actions that threat protection does not evaluate.",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG8",
            "The Plus feature plan is a per-user cost the pool owner chooses; the Essentials plan has every feature "
            "this stack uses (admin resets, the CustomMessage trigger, SES e-mail).",
        )
        return pool


def default_email_option(pool: cognito.UserPool) -> str:
    """The DefaultEmailOption the construct writes into the pool's VerificationMessageTemplate: CDK's UserPool always
    writes one, from userVerification's emailStyle (CODE, i.e. CONFIRM_WITH_CODE, unless set). Read back from the
    pool resource so that the trigger is told what the template deploys, not a second copy of CDK's default."""
    resource = pool.node.default_child
    template = resource.verification_message_template if isinstance(resource, cognito.CfnUserPool) else None
    option = (
        template.default_email_option
        if isinstance(template, cognito.CfnUserPool.VerificationMessageTemplateProperty)
        else None
    )
    if option is None:
        raise ValueError("the user pool construct wrote no VerificationMessageTemplate.DefaultEmailOption")
    return option
