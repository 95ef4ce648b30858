# ENC-06: every input is validated before anything is planned.

variable "name" {
  description = "Service name (a DNS label)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.name))
    error_message = "The service name must be a DNS label of at most 40 characters starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, e.g. staging or production."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$", var.environment))
    error_message = "The environment must be a DNS label of at most 12 characters starting with a letter."
  }
}

variable "description" {
  description = "Free-text description of the service, recorded on the KMS key."
  type        = string

  validation {
    condition     = length(var.description) >= 1 && length(var.description) <= 8192
    error_message = "The description must be 1-8192 characters."
  }
}

variable "aws_account_id" {
  description = "AWS account of the environment."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "The account ID must be 12 digits."
  }
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "The region must look like eu-west-1."
  }
}

variable "oidc_provider" {
  description = "Issuer of the EKS cluster's OIDC provider without https:// (IAM-03)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(/[A-Za-z0-9._~-]+)+$", var.oidc_provider))
    error_message = "The OIDC provider must be a host and path without a scheme."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the workload in this environment (IAM-03); no other environment may share it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a DNS label (RFC 1123)."
  }
}

variable "service_account" {
  description = "Kubernetes ServiceAccount of the workload (IAM-03)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.service_account))
    error_message = "The ServiceAccount must be a DNS label (RFC 1123)."
  }
}

variable "bucket_name" {
  description = "Prefix of the service's bucket name; the environment is appended."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "xn--") && !startswith(var.bucket_name, "sthree-")
    error_message = "The bucket name must be 3-50 lower-case letters, digits or '-', starting and ending with a letter or digit."
  }
}

variable "access_log_bucket" {
  description = "The account's access-log bucket (created by the account-baseline module)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "The access log bucket must be a bucket name."
  }
}

variable "key_administrator_arns" {
  description = "IAM roles that administer the environment's KMS key (ENC-04), the role running Terraform among them; the same whoever applies."
  type        = list(string)

  validation {
    condition     = length(var.key_administrator_arns) > 0 && alltrue([for arn in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "Give at least one key administrator, each an IAM role ARN."
  }
}

variable "break_glass_role_name" {
  description = "Name of the IAM role that may recover administration of the environment's key if its administrators are lost (it need not exist until needed)."
  type        = string
  default     = "break-glass"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.break_glass_role_name))
    error_message = "The break-glass role name must be an IAM role name (1-64 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The VPC ID must look like vpc-0123456789abcdef0."
  }
}

variable "workload_security_group_id" {
  description = "Security group of the service's pods (security groups for pods) or of its nodes."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.workload_security_group_id))
    error_message = "The security group must be an ID such as sg-0123456789abcdef0."
  }
}

variable "alb_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.alb_subnet_ids) >= 2 && alltrue([for s in var.alb_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "Give at least two subnet IDs."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "IPv4 networks allowed to reach the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.alb_ingress_cidr_blocks) > 0 && alltrue([for c in var.alb_ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "Give at least one IPv4 CIDR block."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:certificate/[a-f0-9-]{36}$", var.certificate_arn))
    error_message = "The certificate must be an ACM certificate ARN."
  }
}

variable "target_port" {
  description = "Port the service's pods listen on."
  type        = number

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "The target port must be 1-65535."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
}
