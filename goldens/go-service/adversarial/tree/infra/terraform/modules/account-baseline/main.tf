data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_elb_service_account" "current" {}

data "aws_region" "current" {}

# ENC-04: the state key's administrators are an input, the same whoever applies; the role
# running Terraform must be one of them (KMS refuses a policy that locks its caller out).
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn

  lifecycle {
    postcondition {
      condition     = var.state_key_alias == "" || contains(var.key_administrator_arns, self.issuer_arn)
      error_message = "The role running Terraform is not one of key_administrator_arns (the state key's administrators); apply with one of them, or add it."
    }
  }
}

# ENC-01, ENC-04: the customer-managed key of the Terraform state bucket, when this baseline
# also owns it (the Terragrunt layout, whose state bucket Terragrunt creates with this key).
module "state_key" {
  source = "../kms-key"
  count  = var.state_key_alias == "" ? 0 : 1

  alias                = var.state_key_alias
  description          = "Terraform state"
  administrator_arns   = var.key_administrator_arns
  break_glass_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.break_glass_role_name}"
  via_services         = ["s3.${data.aws_region.current.region}.amazonaws.com"]
  tags                 = var.tags
}

# ENC-03, ENC-01: the account-wide settings are read here, never managed: one root
# (infra/terraform/platform, applied once by the account's platform owner) owns them, so two
# services cannot fight over them and destroying this one leaves them on. A plan stops here
# while either is off.
data "aws_ebs_encryption_by_default" "account" {
  lifecycle {
    postcondition {
      condition     = self.enabled
      error_message = "EBS encryption by default is off in this account and region (ENC-03): the platform owner applies infra/terraform/platform first."
    }
  }
}

data "aws_s3_account_public_access_block" "account" {
  lifecycle {
    postcondition {
      condition     = self.block_public_acls && self.block_public_policy && self.ignore_public_acls && self.restrict_public_buckets
      error_message = "The account's S3 public access block does not block every kind of public access (ENC-01): the platform owner applies infra/terraform/platform first."
    }
  }
}

# ENC-01: the account's access-log bucket. S3 server access logs and load balancer access
# logs can only be delivered to a bucket encrypted with SSE-S3 (AWS does not support
# SSE-KMS there), so this bucket is the one place that uses SSE-S3; log delivery writes
# through the log-delivery-write ACL, which is why object ownership is BucketOwnerPreferred.
resource "aws_s3_bucket" "access_logs" {
  bucket        = var.access_log_bucket_name
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_acl" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  acl    = "log-delivery-write"

  depends_on = [aws_s3_bucket_ownership_controls.access_logs]
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
}

# ENC-01, IAM-01, IAM-02: TLS-only access; log delivery may write only under its own prefixes,
# only for this account (load balancers: alb/<name>/AWSLogs/<this account>/ only).
data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "S3ServerAccessLogDelivery"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "LoadBalancerLogDelivery"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/alb/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "LoadBalancerLogDeliveryService"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/alb/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
