# ENC-06: every input is validated before anything is planned.

variable "access_log_bucket_name" {
  description = "Name of the account's access-log bucket (S3 naming rules, no dots)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_log_bucket_name)) && !startswith(var.access_log_bucket_name, "xn--") && !startswith(var.access_log_bucket_name, "sthree-")
    error_message = "The bucket name must be 3-63 lower-case letters, digits or '-', starting and ending with a letter or digit."
  }
}

variable "access_log_retention_days" {
  description = "Days access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90 && var.access_log_retention_days <= 3650
    error_message = "Access logs must be kept 90-3650 days."
  }
}

variable "state_key_alias" {
  description = "Alias of a customer-managed key for the Terraform state to create here; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.state_key_alias == "" || (can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.state_key_alias)) && !startswith(var.state_key_alias, "aws/"))
    error_message = "The alias must be empty or 1-250 letters, digits, '/', '_' or '-', not under aws/."
  }
}

variable "key_administrator_arns" {
  description = "IAM roles that administer the state key (ENC-04), the role running Terraform among them; required with state_key_alias."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "Each key administrator must be an IAM role ARN."
  }
}

variable "break_glass_role_name" {
  description = "Name of the IAM role that may recover administration of the state key if its administrators are lost (it need not exist until needed)."
  type        = string
  default     = "break-glass"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.break_glass_role_name))
    error_message = "The break-glass role name must be an IAM role name (1-64 characters)."
  }
}

variable "tags" {
  description = "Tags applied to the access-log bucket."
  type        = map(string)
  default     = {}
}
