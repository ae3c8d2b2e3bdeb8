"""AWS as its documents describe it, where moto does not play it, and nothing else; each module names the document it
follows, and tests/*/local_aws/emulation/ (or an e2e test) cites it back.

moto plays each service on its own; on AWS the services call one another and apply rules moto lacks. By service:

- Lambda: real handlers run in-process as the Lambda service runs them (context, timeout, a crashed or timed-out
  container replaced): lambda_runtime.py
- EventBridge: rule → Lambda target, asynchronous, with Lambda's retries and on-failure destination: eventbridge.py
- Cognito:
  - AdminResetUserPassword / ForgotPassword → the pool's CustomMessage trigger → the message Cognito sends, handed to a
    recipient (the local system's outbox), with Cognito's checks of the trigger's answer; a name found as sign-in
    finds it (in any case where the pool ignores case, by a verified alias): cognito.py
  - a pool's UnusedAccountValidityDays as DescribeUserPool reports it: cognito_pools.py
  - ListUsers' filters: cognito_list_users.py
  - how its messages leave: Cognito's own sender's daily limit, the SES identity's quotas and sandbox: delivery.py
- SES:
  - its read APIs (GetAccount, GetEmailIdentity, GetSendQuota), answered from what the account's channels can send and
    have sent: ses.py
  - its event publishing (delivery, bounce, complaint) to EventBridge through a configuration set: ses_events.py
- Step Functions:
  - `lambda:invoke` tasks, StopExecution that stops, RedriveExecution: step_functions.py
  - Distributed Map (ItemReader, ItemBatcher, ResultWriter, map runs), played from the synthesized definition:
    distributed_map.py
- moto_patches.py: every change to moto's own code the modules above make, with the moto version it was written for.

`emulated(...)` (emulated.py) switches all of it on for as long as the local account runs.
"""
