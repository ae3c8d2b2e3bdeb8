"""The Cognito CustomMessage trigger: tailored, localised, branded reset messages that never break a reset.

Entry point: ``custom_message.handler.lambda_handler``. Deployers edit ``templates/`` and ``brands.json``, not code.
"""
