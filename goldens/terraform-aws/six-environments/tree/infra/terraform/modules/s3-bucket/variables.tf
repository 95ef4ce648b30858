# ENC-06: every input is validated before anything is planned.

variable "bucket_name" {
  description = "Name of the bucket (S3 naming rules; no dots, so virtual-hosted TLS works)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "xn--") && !startswith(var.bucket_name, "sthree-") && !endswith(var.bucket_name, "-s3alias") && !endswith(var.bucket_name, "--ol-s3")
    error_message = "The bucket name must be 3-63 lower-case letters, digits or '-', start and end with a letter or digit, and avoid the reserved prefixes and suffixes."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for SSE-KMS (ENC-01)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:key/[a-f0-9-]{36}$", var.kms_key_arn))
    error_message = "The KMS key must be given as a key ARN (not an alias, not an AWS-managed key)."
  }
}

variable "access_logging" {
  description = "Write server access logs to access_log_bucket (ENC-01). Turning it off is an explicit decision."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Bucket that receives the server access logs (required while access_logging is on)."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "The access log bucket must be a bucket name."
  }
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}
