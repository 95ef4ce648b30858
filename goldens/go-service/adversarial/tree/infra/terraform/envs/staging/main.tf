# The staging environment of hostile-svc: one root, one state.

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
    key          = "hostile-svc/staging/terraform.tfstate"
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
      Environment = "staging"
      ManagedBy   = "terraform"
    }
  }
}

# One identity per environment: the workload runs in its own namespace, so the IRSA trust of
# this environment's role names a subject no other environment's pods have (IAM-03).
module "service" {
  source = "../../modules/service"

  name              = "hostile-svc"
  environment       = "staging"
  description       = "Quotes \" and ' and `backticks` \\ backslash; a second line\n{{ .name }} $${HOME} $(id) %%{ if true }x%%{ endif } */ <!-- -->\n--- &anchor *alias ... # not a comment: [a, b] {k: v}\n---\n# Heading? <script>alert(1)</script> Ünïcödé ✓ 日本語"
  aws_account_id    = "111122223333"
  aws_region        = "eu-west-1"
  oidc_provider     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  namespace         = "hostile-svc-staging"
  service_account   = "hostile-svc"
  bucket_name       = "hostile-svc-111122223333"
  access_log_bucket = "hostile-svc-logs-111122223333"

  # ENC-04: the environment key's administrators, whoever applies.
  key_administrator_arns = ["arn:aws:iam::111122223333:role/terraform-deployer"]

  vpc_id                     = var.vpc_id
  workload_security_group_id = var.workload_security_group_id

  database_subnet_ids = var.database_subnet_ids
  database_name       = "hostile_svc"

  alb_subnet_ids          = var.alb_subnet_ids
  alb_ingress_cidr_blocks = var.alb_ingress_cidr_blocks
  certificate_arn         = var.certificate_arn
  target_port             = 8080
}

# The environment's network and certificate are not secgen's to invent: give them in
# terraform.tfvars (or TF_VAR_*); a plan without them stops here.

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "workload_security_group_id" {
  description = "Security group of the service's pods (or nodes)."
  type        = string
}

variable "database_subnet_ids" {
  description = "Private subnets of the database."
  type        = list(string)
}

variable "alb_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "alb_ingress_cidr_blocks" {
  description = "IPv4 networks allowed to reach the load balancer."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

output "irsa_role_arn" {
  description = "Annotate the Kubernetes ServiceAccount with this role (eks.amazonaws.com/role-arn)."
  value       = module.service.irsa_role_arn
}

output "secret_store_role_arn" {
  description = "Annotate the SecretStore's ServiceAccount (hostile-svc-secret-store) with this role; it reads only this environment's secrets."
  value       = module.service.secret_store_role_arn
}

output "secret_prefix" {
  description = "Create this environment's secrets under this name prefix, encrypted with its key (alias/hostile-svc-staging)."
  value       = module.service.secret_prefix
}

output "bucket_name" {
  description = "The service's bucket."
  value       = module.service.bucket_name
}

output "database_endpoint" {
  description = "Host name of the database."
  value       = module.service.database_endpoint
}

output "database_cidrs" {
  description = "Ranges of the staging database subnets: the staging pods' egress to the database (deploy/k8s answers database_cidrs for production, staging_database_cidrs for staging)."
  value       = module.service.database_cidrs
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.service.alb_dns_name
}
