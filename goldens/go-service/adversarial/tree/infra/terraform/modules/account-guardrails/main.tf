# Account-wide settings: one of each per account and region. Exactly one Terraform state may
# manage them, the platform root (infra/terraform/platform), applied once by the account's
# platform owner: were every service's own root to manage them, two services would fight
# over them, and destroying one service would turn them off for the whole account. Service
# roots only read them (the account-baseline module's postconditions).

# ENC-03: every new EBS volume and snapshot copy in this account and region is encrypted.
resource "aws_ebs_encryption_by_default" "this" {
  enabled = true
}

# ENC-01: no bucket of the account can be made public, whatever its own settings say.
resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
