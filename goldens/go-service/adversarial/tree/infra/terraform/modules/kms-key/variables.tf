# ENC-06: every input is validated before anything is planned.

variable "alias" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "The alias must be 1-250 characters of letters, digits, '/', '_' or '-' and must not start with aws/."
  }
}

variable "description" {
  description = "Description of the key."
  type        = string

  validation {
    condition     = length(var.description) >= 1 && length(var.description) <= 8192
    error_message = "The description must be 1-8192 characters."
  }
}

variable "administrator_arns" {
  description = "IAM roles or users that administer the key (ENC-04: named principals, never the account root)."
  type        = list(string)

  validation {
    condition     = length(var.administrator_arns) > 0 && alltrue([for arn in var.administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "Give at least one administrator, each an IAM role or user ARN (no root, no wildcards)."
  }
}

variable "break_glass_role_arn" {
  description = "The IAM role that may recover administration of the key (put its policy, cancel its deletion) if every administrator is lost. It need not exist yet."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.break_glass_role_arn))
    error_message = "The break-glass principal must be an IAM role ARN."
  }
}

variable "user_arns" {
  description = "IAM roles that may encrypt and decrypt with the key through the services in via_services."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.user_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "Each key user must be an IAM role ARN without wildcards."
  }
}

variable "via_services" {
  description = "AWS service endpoints through which the key may be used, e.g. s3.eu-west-1.amazonaws.com (kms:ViaService)."
  type        = list(string)

  validation {
    condition     = length(var.via_services) > 0 && alltrue([for s in var.via_services : can(regex("^[a-z0-9-]+\\.[a-z]{2}(-gov)?-[a-z]+-[0-9]\\.amazonaws\\.com$", s))])
    error_message = "Give at least one service endpoint such as s3.eu-west-1.amazonaws.com."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "The deletion window must be 7-30 days."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period of the key material (ENC-04)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560
    error_message = "The rotation period must be 90-2560 days."
  }
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
}
