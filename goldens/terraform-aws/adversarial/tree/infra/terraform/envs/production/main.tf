# The production environment of evil-svc: one root, one state.

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
    bucket       = "evil-svc-tfstate-111122223333"
    key          = "evil-svc/production/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-west-1:111122223333:alias/evil-svc-tfstate"
    use_lockfile = true
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Service     = "evil-svc"
      Environment = "production"
      ManagedBy   = "terraform"
    }
  }
}

# One identity per environment: the workload runs in its own namespace, so the IRSA trust of
# this environment's role names a subject no other environment's pods have (IAM-03).
module "service" {
  source = "../../modules/service"

  name              = "evil-svc"
  environment       = "production"
  description       = "Quote \" backslash \\ $${var.x} %%{ if true }x%%{ endif } {{ .name }} `id` $(rm -rf /) *\n---\n&anchor *alias # not a comment\nEOF\nHCL\n]]} } { \"Resource\": \"*\" } Ünïcødé ☃ — 日本語"
  aws_account_id    = "111122223333"
  aws_region        = "eu-west-1"
  oidc_provider     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  namespace         = "evil-svc-production"
  service_account   = "evil-svc"
  bucket_name       = "evil-svc-111122223333"
  access_log_bucket = "evil-svc-logs-111122223333"

  # ENC-04: the environment key's administrators, whoever applies.
  key_administrator_arns = ["arn:aws:iam::111122223333:role/terraform-deployer"]

  vpc_id                     = var.vpc_id
  workload_security_group_id = var.workload_security_group_id

  database_subnet_ids = var.database_subnet_ids
  database_name       = "evil_svc"

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
  description = "Annotate the SecretStore's ServiceAccount (evil-svc-secret-store) with this role; it reads only this environment's secrets."
  value       = module.service.secret_store_role_arn
}

output "secret_prefix" {
  description = "Create this environment's secrets under this name prefix, encrypted with its key (alias/evil-svc-production)."
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
  description = "Ranges of the production database subnets: the production pods' egress to the database (deploy/k8s answers database_cidrs for production, staging_database_cidrs for staging)."
  value       = module.service.database_cidrs
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.service.alb_dns_name
}
