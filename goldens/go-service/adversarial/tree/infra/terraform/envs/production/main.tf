# The production environment of hostile-svc: one root, one state.

# ENC-06: Terraform and the AWS provider are pinned.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # ENC-01: state is encrypted with the state key, versioned by the bucket and locked
  # (the bucket and key come from ../../account).
  backend "s3" {
    bucket       = "hostile-svc-tfstate-111122223333"
    key          = "hostile-svc/production/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-west-1:111122223333:alias/hostile-svc-tfstate"
    use_lockfile = true
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Service     = "hostile-svc"
      Environment = "production"
      ManagedBy   = "terraform"
    }
  }
}

module "service" {
  source = "../../modules/service"

  name              = "hostile-svc"
  environment       = "production"
  description       = "Quotes \" and ' and `backticks` \\ backslash; a second line\n{{ .name }} $${HOME} $(id) %%{ if true }x%%{ endif } */ <!-- -->\n--- &anchor *alias ... # not a comment: [a, b] {k: v}\n---\n# Heading? <script>alert(1)</script> Ünïcödé ✓ 日本語"
  aws_account_id    = "111122223333"
  aws_region        = "eu-west-1"
  oidc_provider     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  namespace         = "hostile-svc"
  service_account   = "hostile-svc"
  bucket_name       = "hostile-svc-111122223333"
  access_log_bucket = "hostile-svc-logs-111122223333"
}

output "irsa_role_arn" {
  description = "Annotate the Kubernetes ServiceAccount with this role (eks.amazonaws.com/role-arn)."
  value       = module.service.irsa_role_arn
}

output "bucket_name" {
  description = "The service's bucket."
  value       = module.service.bucket_name
}
