# Account-wide baseline (ENC-01, ENC-03), applied once per account and region before any
# environment; it owns the access-log bucket the environments log into.

include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "${get_repo_root()}/infra/terraform/modules//account-baseline"
}

inputs = {
  access_log_bucket_name = "ledger-logs-210987654321"
}
