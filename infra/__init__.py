"""The CDK app's constructs, one per capability, composed by stack.py; settings.py is the one typed settings object.

application.py  the app: settings from context, the stack, cdk-nag as a synth-time gate
settings.py     every setting, validated (pure Python: no aws_cdk import)
bundling.py     Docker-free bundling of a function with its pinned dependencies for Lambda's platform
python_function.py  one Lambda function as every function here is deployed (ARM64, JSON logs, own log group and role)
custom_message.py   the CustomMessage trigger
user_pool.py        a new pool with secure defaults, or an existing one
pool_trigger_attachment.py  the custom resource that attaches the trigger to an existing pool
reset_function.py   the reset function, its permissions, async failure handling and dedupe table
failed_requests.py  the encrypted, TLS-only queue for requests that could not be processed
event_ingress.py    the request bus and rule
workflows.py        the single-reset and bulk-reset state machines
monitoring.py       alarms, their topic, the dashboard
nag.py              acknowledging a cdk-nag finding, with its reason
"""
