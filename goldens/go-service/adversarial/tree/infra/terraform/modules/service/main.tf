# The service's AWS resources for one environment, composed from the hardened modules.
# Every environment root (envs/<env>/ or live/<env>/) instantiates this module once.

data "aws_caller_identity" "current" {}

# ENC-04: the key's administrators are an input, the same whoever applies, so a re-apply by
# another role cannot replace them. The role running Terraform must be one of them: it
# reads and updates the key policy, and KMS refuses a policy that locks its caller out.
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn

  lifecycle {
    postcondition {
      condition     = contains(var.key_administrator_arns, self.issuer_arn)
      error_message = "The role running Terraform is not one of key_administrator_arns (the KMS key administrators); apply with one of them, or add it."
    }
  }
}

locals {
  prefix = "${var.name}-${var.environment}"
  # Load balancer and target group names are limited to 32 characters.
  short_prefix = "${trimsuffix(substr(var.name, 0, 31 - length(var.environment)), "-")}-${var.environment}"
  tags = merge(var.tags, {
    Service     = var.name
    Environment = var.environment
  })
  via_services = [
    "s3.${var.aws_region}.amazonaws.com",
    "secretsmanager.${var.aws_region}.amazonaws.com",
    "rds.${var.aws_region}.amazonaws.com",
  ]
  # K8S-09: this environment's secrets live under its own name prefix in Secrets Manager,
  # NAMESPACE/NAME/ (the remote keys of its ExternalSecret), and only this environment's
  # SecretStore role may read under it.
  secret_prefix                = "${var.namespace}/${var.name}/"
  secret_store_service_account = "${var.name}-secret-store"
}

# ENC-04: one customer-managed key per environment, administered by the named roles and
# usable by the workload only through the services above.
module "kms" {
  source = "../kms-key"

  alias              = local.prefix
  description        = var.description
  administrator_arns = var.key_administrator_arns
  # Should every administrator be deleted, the break-glass role can still recover the key
  # (and the data it encrypts).
  break_glass_role_arn = "arn:aws:iam::${var.aws_account_id}:role/${var.break_glass_role_name}"
  user_arns            = [module.irsa.role_arn, module.secret_store.role_arn]
  via_services         = local.via_services
  tags                 = local.tags
}

# ENC-01: the service's bucket, encrypted with the environment's key.
module "bucket" {
  source = "../s3-bucket"

  bucket_name       = "${var.bucket_name}-${var.environment}"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = var.access_log_bucket
  tags              = local.tags
}

# ENC-02: PostgreSQL, private, encrypted with the environment's key, TLS forced. The service
# connects with the password in its DATABASE_URL secret, not with IAM authentication: its
# connector does not request RDS authentication tokens, so the role holds no rds-db:connect.
module "database" {
  source = "../rds-postgres"

  identifier                 = local.prefix
  database_name              = var.database_name
  kms_key_arn                = module.kms.key_arn
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.database_subnet_ids
  allowed_security_group_ids = [var.workload_security_group_id]
  tags                       = local.tags
}

# The database subnets' ranges, for the egress of this environment's pods only
# (deploy/k8s: database_cidrs for production, staging_database_cidrs for staging).
data "aws_subnet" "database" {
  for_each = toset(var.database_subnet_ids)

  id = each.value
}

# ENC-05: the service's HTTPS entry point.
module "alb" {
  source = "../alb-https"

  name                     = local.short_prefix
  vpc_id                   = var.vpc_id
  subnet_ids               = var.alb_subnet_ids
  ingress_cidr_blocks      = var.alb_ingress_cidr_blocks
  certificate_arn          = var.certificate_arn
  target_port              = var.target_port
  target_security_group_id = var.workload_security_group_id
  access_log_bucket        = var.access_log_bucket
  tags                     = local.tags
}

# IAM-01, IAM-02, IAM-03: the workload's role, assumable only by its ServiceAccount; each
# statement names its actions and ARNs and carries the conditions the service supports.
module "irsa" {
  source = "../irsa-role"

  role_name        = local.prefix
  role_description = "IRSA role of ${var.name} in ${var.environment}."
  aws_account_id   = var.aws_account_id
  oidc_provider    = var.oidc_provider
  namespace        = var.namespace
  service_account  = var.service_account
  tags             = local.tags

  statements = [
    {
      sid       = "ReadWriteObjects"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["arn:aws:s3:::${var.bucket_name}-${var.environment}/*"]
      conditions = [
        { test = "Bool", variable = "aws:SecureTransport", values = ["true"] },
        { test = "StringEquals", variable = "aws:RequestedRegion", values = [var.aws_region] },
      ]
    },
    {
      sid       = "ListBucket"
      actions   = ["s3:ListBucket"]
      resources = ["arn:aws:s3:::${var.bucket_name}-${var.environment}"]
      conditions = [
        { test = "Bool", variable = "aws:SecureTransport", values = ["true"] },
        { test = "StringEquals", variable = "aws:RequestedRegion", values = [var.aws_region] },
      ]
    },
    {
      sid       = "UseKeyThroughS3"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [module.kms.key_arn]
      conditions = [
        { test = "StringEquals", variable = "kms:ViaService", values = ["s3.${var.aws_region}.amazonaws.com"] },
      ]
    },
  ]
}

# K8S-09, IAM-01, IAM-02, IAM-03: the role of this environment's External Secrets
# SecretStore (deploy/k8s renders it in the environment's namespace, authenticated as the
# ServiceAccount NAME-secret-store), assumable only by that ServiceAccount of this
# environment's namespace. It reads the secrets under this environment's prefix and nothing
# else: staging's store cannot read production's secrets, nor the reverse. Create the
# secrets with this environment's key (alias/NAME-ENVIRONMENT), which it may use only to
# decrypt them through Secrets Manager.
module "secret_store" {
  source = "../irsa-role"

  role_name        = "${local.prefix}-secrets"
  role_description = "External Secrets store of ${var.name} in ${var.environment}: reads this environment's secrets only."
  aws_account_id   = var.aws_account_id
  oidc_provider    = var.oidc_provider
  namespace        = var.namespace
  service_account  = local.secret_store_service_account
  tags             = local.tags

  statements = [
    {
      sid       = "ReadThisEnvironmentsSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = ["arn:aws:secretsmanager:${var.aws_region}:${var.aws_account_id}:secret:${var.namespace}/${var.name}/*"]
      conditions = [
        { test = "Bool", variable = "aws:SecureTransport", values = ["true"] },
        { test = "StringEquals", variable = "aws:RequestedRegion", values = [var.aws_region] },
      ]
    },
    {
      sid       = "DecryptThisEnvironmentsSecrets"
      actions   = ["kms:Decrypt"]
      resources = [module.kms.key_arn]
      conditions = [
        { test = "StringEquals", variable = "kms:ViaService", values = ["secretsmanager.${var.aws_region}.amazonaws.com"] },
      ]
    },
  ]
}
