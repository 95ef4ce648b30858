output "ebs_encryption_by_default" {
  description = "Whether EBS encryption by default is on (always true)."
  value       = aws_ebs_encryption_by_default.this.enabled
}

output "s3_account_public_access_blocked" {
  description = "Whether the account's S3 public access block blocks every kind of public access (always true)."
  value = alltrue([
    aws_s3_account_public_access_block.this.block_public_acls,
    aws_s3_account_public_access_block.this.block_public_policy,
    aws_s3_account_public_access_block.this.ignore_public_acls,
    aws_s3_account_public_access_block.this.restrict_public_buckets,
  ])
}
