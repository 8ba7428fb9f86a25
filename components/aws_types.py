"""Pulumi type tokens of the AWS resources the program creates, declared once.

The policy pack, the audit, the tests, the cost model and the local environment recognise
resources by these tokens; a typo in one of them would silently match nothing, so they are
named here and imported everywhere. Plain strings only: importable without ``pulumi``.
"""

from __future__ import annotations

AWS_PROVIDER = "pulumi:providers:aws"

# API Gateway
REST_API = "aws:apigateway/restApi:RestApi"
HTTP_API = "aws:apigatewayv2/api:Api"
HTTP_API_AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
HTTP_API_INTEGRATION = "aws:apigatewayv2/integration:Integration"
HTTP_API_ROUTE = "aws:apigatewayv2/route:Route"
HTTP_API_STAGE = "aws:apigatewayv2/stage:Stage"

# CloudFront
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
KEY_GROUP = "aws:cloudfront/keyGroup:KeyGroup"
ORIGIN_ACCESS_CONTROL = "aws:cloudfront/originAccessControl:OriginAccessControl"
PUBLIC_KEY = "aws:cloudfront/publicKey:PublicKey"
CLOUDFRONT_FUNCTION = "aws:cloudfront/function:Function"
RESPONSE_HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"

# CodeDeploy
CODEDEPLOY_APPLICATION = "aws:codedeploy/application:Application"
DEPLOYMENT_GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"

# CloudWatch and EventBridge
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

# CloudWatch cross-account observability (OAM)
OAM_LINK = "aws:oam/link:Link"
OAM_SINK = "aws:oam/sink:Sink"
OAM_SINK_POLICY = "aws:oam/sinkPolicy:SinkPolicy"

# DynamoDB
TABLE = "aws:dynamodb/table:Table"

# ECR
ECR_REPOSITORY = "aws:ecr/repository:Repository"

# IAM
IAM_POLICY = "aws:iam/policy:Policy"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

# KMS
KMS_ALIAS = "aws:kms/alias:Alias"
KMS_KEY = "aws:kms/key:Key"

# Lambda
FUNCTION_ALIAS = "aws:lambda/alias:Alias"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
FUNCTION = "aws:lambda/function:Function"
LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"
PERMISSION = "aws:lambda/permission:Permission"

# S3
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
BUCKET_OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_SSE_V2 = (
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
)
BUCKET_TYPES = frozenset({BUCKET, BUCKET_V2})
SSE_TYPES = frozenset({BUCKET_SSE, BUCKET_SSE_V2})

# Secrets Manager, SSM, Step Functions
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"

# SES
SES_CONFIGURATION_SET = "aws:ses/configurationSet:ConfigurationSet"
SES_DOMAIN_IDENTITY = "aws:ses/domainIdentity:DomainIdentity"
SES_EMAIL_IDENTITY = "aws:ses/emailIdentity:EmailIdentity"
SES_EVENT_DESTINATION = "aws:ses/eventDestination:EventDestination"

# SNS and SQS
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
