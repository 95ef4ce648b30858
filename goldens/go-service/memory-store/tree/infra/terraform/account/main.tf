# Account-wide resources, applied once per account and region before any environment:
# the baseline (ENC-01, ENC-03), the access-log bucket and the encrypted Terraform state
# bucket that every environment root uses as its backend.
#
# Bootstrap: the first apply runs with the backend block commented out (local state);
# then restore it and run `terraform init -migrate-state`.

# ENC-06: Terraform and the AWS provider are pinned.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # ENC-01: state is encrypted with the state key, versioned by the bucket and locked.
  backend "s3" {
    bucket       = "scratchpad-tfstate-111122223333"
    key          = "scratchpad/account/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-west-1:111122223333:alias/scratchpad-tfstate"
    use_lockfile = true
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Service   = "scratchpad"
      ManagedBy = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

# ENC-04: the state key's administrators are an answer (kms_key_administrators), the same
# whoever applies; the role running Terraform must be one of them.
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn

  lifecycle {
    postcondition {
      condition     = contains(local.key_administrator_arns, self.issuer_arn)
      error_message = "The role running Terraform is not one of the state key's administrators (kms_key_administrators); apply with one of them."
    }
  }
}

locals {
  key_administrator_arns = ["arn:aws:iam::111122223333:role/terraform-deployer"]
}

# ENC-01, ENC-03: EBS encryption by default, account-level S3 public access block and the
# account's access-log bucket.
module "baseline" {
  source = "../modules/account-baseline"

  access_log_bucket_name = "scratchpad-logs-111122223333"
}

# ENC-04: the key that encrypts the Terraform state.
module "state_key" {
  source = "../modules/kms-key"

  alias              = "scratchpad-tfstate"
  description        = "Terraform state of scratchpad"
  administrator_arns = local.key_administrator_arns
  # Should every administrator be deleted, the break-glass role can still recover the state
  # key (and with it every state).
  break_glass_role_arn = "arn:aws:iam::111122223333:role/break-glass"
  via_services         = ["s3.eu-west-1.amazonaws.com"]
}

# ENC-01: the Terraform state bucket (SSE-KMS, versioned, TLS only, access-logged).
module "state_bucket" {
  source = "../modules/s3-bucket"

  bucket_name       = "scratchpad-tfstate-111122223333"
  kms_key_arn       = module.state_key.key_arn
  access_log_bucket = module.baseline.access_log_bucket
}

output "access_log_bucket" {
  description = "The account's access-log bucket; every environment logs into it."
  value       = module.baseline.access_log_bucket
}

output "state_bucket" {
  description = "The Terraform state bucket."
  value       = module.state_bucket.bucket_name
}
