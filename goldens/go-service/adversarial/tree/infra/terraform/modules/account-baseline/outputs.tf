output "access_log_bucket" {
  description = "Name of the account's access-log bucket."
  value       = aws_s3_bucket.access_logs.id
}

output "state_key_arn" {
  description = "ARN of the Terraform state key, or null when the baseline creates none."
  value       = var.state_key_alias == "" ? null : module.state_key[0].key_arn
}
