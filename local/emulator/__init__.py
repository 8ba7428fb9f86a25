"""The embedded AWS emulator of the local environment and the deployer that fills it.

``cloud.EmbeddedCloud`` runs moto's server on loopback with one emulated account per
service (plus an identity account with a Cognito user pool); ``deployer.deploy_environment``
evaluates every service stack of an environment into it (``mocks.EmulatorMocks``, one
creator module per AWS service in ``creators/``, the rest ``recorded``) and writes the
graph the local runtime serves from. Where moto falls short, a module marked WORKAROUND
fills the gap, each with a test that fails the day it is no longer needed:
``cross_account`` (SNS->SQS delivery across accounts), ``s3_cors`` (S3 answering browsers
only as the bucket's CORS rules say), ``lambda_account_settings`` (Lambda's
GetAccountSettings), ``dynamodb_serial`` (transactions copying whole tables, failed ones
undoing concurrent writes), ``dynamodb_query`` (a sort of the whole table per Query),
``moto_dispatch`` (a directory listing per request) and
``cognito_users`` (Cognito lookups by ``sub``, email verified on confirmation).
``iam_enforcement`` turns moto's IAM checks on per server and says exactly what they cannot
judge. The runtime has one more, ``local/runtime/s3_notifications.py``.
"""
