# Account-wide baseline (ENC-01, ENC-03), applied once per account and region before any
# environment; it owns the access-log bucket the environments log into and the state key.
#
# Bootstrap: the state bucket's key and log bucket are created here, so the very first apply
# of this unit cannot use the remote state yet. Apply it once with a local backend, then run
# `terragrunt init -migrate-state` to move its state into the bucket.

include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "${get_repo_root()}/infra/terraform/modules//account-baseline"
}

inputs = {
  access_log_bucket_name = "ledger-logs-111122223333"
  # ENC-01: the key of the remote state bucket (live/terragrunt.hcl refers to its alias).
  state_key_alias = "ledger-tfstate"

  # ENC-04: the state key's administrators, whoever applies.
  key_administrator_arns = ["arn:aws:iam::111122223333:role/terraform-deployer"]
}
