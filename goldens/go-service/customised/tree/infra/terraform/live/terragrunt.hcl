# Root Terragrunt configuration of ledger: every unit below includes it and gets the
# same remote state and provider settings.

locals {
  name           = "ledger"
  aws_account_id = "210987654321"
  aws_region     = "eu-central-1"
}

# ENC-01: the remote state is encrypted with the customer-managed state key (live/account
# creates it), the bucket is versioned and access-logged into the account's log bucket,
# public access is blocked, TLS is enforced by the bucket policy, and every state is locked
# while in use.
remote_state {
  backend = "s3"

  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }

  config = {
    bucket       = "${local.name}-tfstate-${local.aws_account_id}"
    key          = "${local.name}/${path_relative_to_include()}/terraform.tfstate"
    region       = local.aws_region
    encrypt      = true
    use_lockfile = true

    kms_key_id                         = "arn:aws:kms:${local.aws_region}:${local.aws_account_id}:alias/${local.name}-tfstate"
    bucket_sse_algorithm               = "aws:kms"
    bucket_sse_kms_key_id              = "arn:aws:kms:${local.aws_region}:${local.aws_account_id}:alias/${local.name}-tfstate"
    accesslogging_bucket_name          = "${local.name}-logs-${local.aws_account_id}"
    accesslogging_target_prefix        = "s3/${local.name}-tfstate-${local.aws_account_id}/"
    skip_bucket_versioning             = false
    skip_bucket_ssl_requests_only      = false
    skip_bucket_enforced_tls           = false
    skip_bucket_public_access_blocking = false
    skip_bucket_root_access            = false
  }
}

# ENC-06: Terraform and the AWS provider are pinned in every unit.
generate "versions" {
  path      = "versions_override.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-HCL
    terraform {
      required_version = ">= 1.10.0, < 2.0.0"

      required_providers {
        aws = {
          source  = "hashicorp/aws"
          version = "~> 6.0"
        }
      }
    }
  HCL
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-HCL
    provider "aws" {
      region              = "${local.aws_region}"
      allowed_account_ids = ["${local.aws_account_id}"]

      default_tags {
        tags = {
          Service   = "${local.name}"
          ManagedBy = "terragrunt"
        }
      }
    }
  HCL
}
