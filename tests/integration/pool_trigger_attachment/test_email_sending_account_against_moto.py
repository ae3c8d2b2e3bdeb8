"""Custom::CognitoUserPoolEmailSendingAccount: the stack learns, at deploy time, how the pool sends e-mail, how it
confirms a sign-up (VerificationMessageTemplate.DefaultEmailOption) and the SES configuration set whose delivery
events the stack counts (EmailConfiguration.ConfigurationSet, NO_CONFIGURATION_SET for none)."""

from __future__ import annotations

import copy
from typing import Any

from contracts.cognito import COGNITO_DEFAULT, CONFIRM_WITH_CODE, CONFIRM_WITH_LINK, DEVELOPER
from contracts.custom_resources import (
    ANSWER_KEYS,
    ANSWERS,
    CONFIGURATION_SET_KEY,
    EMAIL_SENDING_ACCOUNT,
    NO_CONFIGURATION_SET,
)
from fault_injection.rewriting_proxy import RewritingProxy
from local_aws.harness.server import ACCOUNT_ID, REGION
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses
from tests.integration.pool_trigger_attachment.custom_resource import resource_event, run

SES_IDENTITY = f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/example.com"
CONFIGURATION_SET = "transactional"


def read(
    request_type: str,
    responses: CloudFormationResponses,
    pool_id: str,
    revision: str = "1",
    physical_id: str | None = None,
) -> dict[str, Any]:
    properties = {"UserPoolId": pool_id, "Revision": revision, ANSWERS: ",".join(ANSWER_KEYS)}
    return run(resource_event(EMAIL_SENDING_ACCOUNT, request_type, responses, properties, physical_id), responses)


def test_a_pool_sending_through_ses_reports_developer(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    email = {
        "EmailSendingAccount": DEVELOPER,
        "SourceArn": SES_IDENTITY,
        "From": "Example <no-reply@example.com>",
    }
    pool_id = cognito.create_user_pool(PoolName="ses", EmailConfiguration=email)["UserPool"]["Id"]

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"] == {
        "EmailSendingAccount": DEVELOPER,
        "DefaultEmailOption": CONFIRM_WITH_CODE,
        "ConfigurationSet": NO_CONFIGURATION_SET,
    }
    assert response["PhysicalResourceId"] == f"{pool_id}/EmailSendingAccount"
    assert proxy.requests("UpdateUserPool") == []


def test_a_pool_sending_through_a_configuration_set_reports_its_name(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    email = {"EmailSendingAccount": DEVELOPER, "SourceArn": SES_IDENTITY, "ConfigurationSet": CONFIGURATION_SET}
    pool_id = cognito.create_user_pool(PoolName="ses-events", EmailConfiguration=email)["UserPool"]["Id"]

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"] == {
        "EmailSendingAccount": DEVELOPER,
        "DefaultEmailOption": CONFIRM_WITH_CODE,
        "ConfigurationSet": CONFIGURATION_SET,
    }
    assert [exchange.operation for exchange in proxy.exchanges] == ["DescribeUserPool"]  # one read, nothing written


def test_a_pool_with_cognitos_own_sender_reports_cognito_default(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    pool_id = cognito.create_user_pool(PoolName="default")["UserPool"]["Id"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["EmailConfiguration"] == {
        "EmailSendingAccount": COGNITO_DEFAULT
    }

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"] == {
        "EmailSendingAccount": COGNITO_DEFAULT,
        "DefaultEmailOption": CONFIRM_WITH_CODE,
        "ConfigurationSet": NO_CONFIGURATION_SET,
    }


def test_the_answer_carries_every_key_the_stack_reads(cognito: Any, cloudformation: CloudFormationResponses) -> None:
    pool_id = cognito.create_user_pool(PoolName="default")["UserPool"]["Id"]

    response = read("Create", cloudformation, pool_id)

    assert set(response["Data"]) == set(ANSWER_KEYS)  # each one the stack reads with Fn::GetAtt


def test_a_pool_that_confirms_with_a_link_reports_it(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    template = {
        "DefaultEmailOption": CONFIRM_WITH_LINK,
        "EmailMessageByLink": "Confirm your account: {##Click here##}",
        "EmailSubjectByLink": "Confirm your account",
    }
    pool_id = cognito.create_user_pool(PoolName="link", VerificationMessageTemplate=template)["UserPool"]["Id"]

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"] == {
        "EmailSendingAccount": COGNITO_DEFAULT,
        "DefaultEmailOption": CONFIRM_WITH_LINK,
        "ConfigurationSet": NO_CONFIGURATION_SET,
    }
    assert [exchange.operation for exchange in proxy.exchanges] == ["DescribeUserPool"]  # one read, nothing written


def test_a_pool_that_confirms_with_a_code_reports_it(cognito: Any, cloudformation: CloudFormationResponses) -> None:
    template = {"DefaultEmailOption": CONFIRM_WITH_CODE, "EmailMessage": "Your code is {####}"}
    pool_id = cognito.create_user_pool(PoolName="code", VerificationMessageTemplate=template)["UserPool"]["Id"]

    response = read("Create", cloudformation, pool_id)

    assert response["Data"]["DefaultEmailOption"] == CONFIRM_WITH_CODE


def test_a_pool_without_a_verification_message_template_confirms_with_a_code(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = cognito.create_user_pool(PoolName="bare")["UserPool"]["Id"]

    def without_verification_template(document: dict[str, Any]) -> dict[str, Any]:
        rewritten = copy.deepcopy(document)
        rewritten["UserPool"].pop("VerificationMessageTemplate", None)
        return rewritten

    proxy.rewrite_responses("DescribeUserPool", without_verification_template)

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"]["DefaultEmailOption"] == CONFIRM_WITH_CODE
    [exchange] = proxy.exchanges
    assert b"VerificationMessageTemplate" not in exchange.response_body


def test_a_pool_without_email_configuration_reports_cognito_default(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = cognito.create_user_pool(PoolName="bare")["UserPool"]["Id"]

    def without_email_configuration(document: dict[str, Any]) -> dict[str, Any]:
        rewritten = copy.deepcopy(document)
        del rewritten["UserPool"]["EmailConfiguration"]
        return rewritten

    proxy.rewrite_responses("DescribeUserPool", without_email_configuration)

    response = read("Create", cloudformation, pool_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert (response["Data"]["EmailSendingAccount"], response["Data"][CONFIGURATION_SET_KEY]) == (
        COGNITO_DEFAULT,
        NO_CONFIGURATION_SET,
    )
    [exchange] = proxy.exchanges
    assert b"EmailConfiguration" not in exchange.response_body


def test_update_reads_the_pool_again_and_keeps_the_physical_id(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    pool_id = cognito.create_user_pool(PoolName="moving-to-ses")["UserPool"]["Id"]
    created = read("Create", cloudformation, pool_id)
    cognito.update_user_pool(
        UserPoolId=pool_id,
        EmailConfiguration={
            "EmailSendingAccount": DEVELOPER,
            "SourceArn": SES_IDENTITY,
            "ConfigurationSet": CONFIGURATION_SET,
        },
        VerificationMessageTemplate={
            "DefaultEmailOption": CONFIRM_WITH_LINK,
            "EmailMessageByLink": "Confirm your account: {##Click here##}",
        },
    )

    updated = read("Update", cloudformation, pool_id, revision="2", physical_id=created["PhysicalResourceId"])

    assert created["Data"] == {
        "EmailSendingAccount": COGNITO_DEFAULT,
        "DefaultEmailOption": CONFIRM_WITH_CODE,
        "ConfigurationSet": NO_CONFIGURATION_SET,
    }
    assert updated["Status"] == "SUCCESS", updated["Reason"]
    # The set given to the pool since: the next deploy's rule counts its events.
    assert updated["Data"] == {
        "EmailSendingAccount": DEVELOPER,
        "DefaultEmailOption": CONFIRM_WITH_LINK,
        "ConfigurationSet": CONFIGURATION_SET,
    }
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_delete_asks_cognito_nothing(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = cognito.create_user_pool(PoolName="default")["UserPool"]["Id"]
    physical_id = f"{pool_id}/EmailSendingAccount"

    deleted = read("Delete", cloudformation, pool_id, physical_id=physical_id)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["PhysicalResourceId"] == physical_id
    assert proxy.exchanges == []


def test_an_unknown_pool_fails_the_deployment(cloudformation: CloudFormationResponses, cognito: Any) -> None:
    response = read("Create", cloudformation, f"{REGION}_NoSuchPool1")

    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("ResourceNotFoundException:"), response["Reason"]
    assert response["Data"] == {}
