output "access_log_bucket" {
  description = "Name of the account's access-log bucket."
  value       = aws_s3_bucket.access_logs.id
}

output "ebs_encryption_by_default" {
  description = "Whether EBS encryption by default is on (always true)."
  value       = aws_ebs_encryption_by_default.this.enabled
}
