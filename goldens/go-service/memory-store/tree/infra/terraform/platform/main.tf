# Account-wide guardrails of AWS account 111122223333 in eu-west-1: EBS
# encryption by default (ENC-03) and the account's S3 public access block (ENC-01).
#
# Who applies this root: the account's platform owner, once per account and region, not the
# team of scratchpad. Every project secgen renders for this account carries an equivalent
# root; apply one of them, into a state of the platform's own (not a service's state bucket),
# and none when the account already has the guardrails. A service's roots only read the two
# settings (modules/account-baseline stops their plan while one is off), so no two services
# fight over them, and destroying a service leaves them on.

# ENC-06: Terraform and the AWS provider are pinned.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # ENC-01: the state is encrypted and locked. Its bucket, key, region and KMS key are the
  # platform's, given at init: terraform init -backend-config=platform.s3.tfbackend
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Owner     = "platform"
      ManagedBy = "terraform"
    }
  }
}

module "guardrails" {
  source = "../modules/account-guardrails"
}

output "ebs_encryption_by_default" {
  description = "Whether EBS encryption by default is on."
  value       = module.guardrails.ebs_encryption_by_default
}

output "s3_account_public_access_blocked" {
  description = "Whether the account's S3 public access block blocks every kind of public access."
  value       = module.guardrails.s3_account_public_access_blocked
}
