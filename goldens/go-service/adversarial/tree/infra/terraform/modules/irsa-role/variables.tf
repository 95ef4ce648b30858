# ENC-06: every input is validated before anything is planned.

variable "role_name" {
  description = "Name of the IAM role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "The role name must be 1-64 characters of letters, digits or +=,.@_-."
  }
}

variable "role_description" {
  description = "Description of the IAM role."
  type        = string
  default     = "IRSA role managed by Terraform."

  validation {
    condition     = length(var.role_description) <= 1000 && can(regex("^[\\t\\n\\r\\x{20}-\\x{7E}\\x{A1}-\\x{FF}]*$", var.role_description))
    error_message = "The role description must be at most 1000 characters of the set IAM accepts."
  }
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "The partition must be aws, aws-cn or aws-us-gov."
  }
}

variable "aws_account_id" {
  description = "Account that holds the EKS OIDC provider."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "The account ID must be 12 digits."
  }
}

variable "oidc_provider" {
  description = "Issuer of the cluster's OIDC provider without https://, e.g. oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(/[A-Za-z0-9._~-]+)+$", var.oidc_provider))
    error_message = "The OIDC provider must be a host and path without a scheme, e.g. oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the ServiceAccount (IAM-03)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a DNS label (RFC 1123)."
  }
}

variable "service_account" {
  description = "Kubernetes ServiceAccount allowed to assume the role (IAM-03)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.service_account))
    error_message = "The ServiceAccount must be a DNS label (RFC 1123)."
  }
}

variable "statements" {
  description = "Allow statements of the role's inline policy: explicit actions on explicit ARNs, with conditions (IAM-01, IAM-02)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))

  validation {
    condition     = length(var.statements) > 0 && alltrue([for s in var.statements : can(regex("^[A-Za-z0-9]{1,64}$", s.sid))])
    error_message = "Give at least one statement; each sid is 1-64 letters or digits."
  }

  # IAM-01: no wildcard action, ever: every action is service:Operation.
  validation {
    condition     = alltrue(flatten([for s in var.statements : [length(s.actions) > 0, [for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]]]))
    error_message = "Every statement needs explicit actions of the form service:Operation; '*' is refused."
  }

  # IAM-01: every resource is an ARN; '*' is refused, and so is a wildcard anywhere but a
  # trailing '/*' that selects the objects under an explicit S3 bucket or prefix, or the
  # secrets under an explicit Secrets Manager name prefix (a secret's ARN ends in a random
  # suffix, so its exact ARN is not known before it exists). The colon after "secret" is
  # written as the class [:] so that secret scanners do not read the name pattern as a value.
  validation {
    condition     = alltrue(flatten([for s in var.statements : [length(s.resources) > 0, [for r in s.resources : can(regex("^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12})?:[A-Za-z0-9][^*?]*$", r)) || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^*?]+)*/\\*$", r)) || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:secret[:][A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*/\\*$", r))]]]))
    error_message = "Every statement needs explicit resource ARNs; '*' is refused (only an S3 object ARN or a Secrets Manager name prefix may end in '/*')."
  }

  validation {
    condition     = alltrue(flatten([for s in var.statements : [for c in s.conditions : contains(["StringEquals", "StringLike", "ArnEquals", "Bool", "IpAddress", "NumericLessThanEquals", "DateLessThan"], c.test) && length(c.values) > 0]]))
    error_message = "Conditions use one of the supported operators and carry at least one value."
  }
}

variable "tags" {
  description = "Tags applied to the role."
  type        = map(string)
  default     = {}
}
