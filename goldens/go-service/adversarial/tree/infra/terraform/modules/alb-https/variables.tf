# ENC-06: every input is validated before anything is planned.

variable "name" {
  description = "Name of the load balancer and its target group."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$", var.name)) && !startswith(var.name, "internal-")
    error_message = "The name must be 1-32 letters, digits or '-', not starting or ending with '-' nor starting with internal-."
  }
}

variable "internal" {
  description = "Keep the load balancer internal (the default). Exposing it to the internet is a deliberate decision: front it with a CDN or WAF, or set this to false knowing tfsec reports it."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The VPC ID must look like vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Subnets of the load balancer (at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "Give at least two subnet IDs such as subnet-0123456789abcdef0."
  }
}

variable "ingress_cidr_blocks" {
  description = "IPv4 networks allowed to reach the listeners."
  type        = list(string)

  validation {
    condition     = length(var.ingress_cidr_blocks) > 0 && alltrue([for c in var.ingress_cidr_blocks : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c))])
    error_message = "Give at least one IPv4 CIDR block such as 10.0.0.0/16."
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

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (ENC-05: TLS 1.3 policies only)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = contains(["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04"], var.ssl_policy)
    error_message = "The TLS policy must be a TLS 1.3 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "target_port" {
  description = "Port the targets listen on."
  type        = number

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535 && floor(var.target_port) == var.target_port
    error_message = "The target port must be an integer from 1 to 65535."
  }
}

variable "target_protocol" {
  description = "Protocol between the load balancer and the targets inside the VPC; HTTPS when the targets terminate TLS themselves."
  type        = string
  default     = "HTTP"

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.target_protocol)
    error_message = "The target protocol must be HTTP or HTTPS."
  }
}

variable "target_security_group_id" {
  description = "Security group of the targets; the only egress destination of the load balancer."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.target_security_group_id))
    error_message = "The target security group must be an ID such as sg-0123456789abcdef0."
  }
}

variable "health_check_path" {
  # The readiness path, like the pods' readinessProbe: a pod whose database is down answers
  # 503 there and leaves the target group, while /healthz would keep sending it traffic.
  description = "Path of the targets' health check (the service's readiness endpoint)."
  type        = string
  default     = "/readyz"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]*$", var.health_check_path))
    error_message = "The health check path must be an absolute URL path."
  }
}

variable "access_log_bucket" {
  description = "Bucket that receives the access logs (SSE-S3, as ALB log delivery requires)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "The access log bucket must be a bucket name."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
