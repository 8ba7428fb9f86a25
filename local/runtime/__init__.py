"""The local runtime: runs a recorded deployment graph the way AWS would run it.

``workers`` (one process per function), ``http_api`` (API Gateway v2 with JWT authorizers),
``pollers`` (SQS and DynamoDB-stream event source mappings), ``cdn`` (the two CloudFront
paths), ``auth`` (JWT verification) and ``system`` (bring everything up and down).
"""
