"""The embedded AWS emulator of the local environment and the deployer that fills it.

``cloud.EmbeddedCloud`` runs moto's server on loopback with one emulated account per
service (plus an identity account with a Cognito user pool); ``deployer.deploy_environment``
evaluates every service stack of an environment into it and writes the graph the local
runtime serves from; ``cross_account`` is the one workaround for moto's missing
cross-account SNS->SQS delivery.
"""
