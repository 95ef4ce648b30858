# The production environment of ledger: the service module with this environment's inputs.

include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "${get_repo_root()}/infra/terraform/modules//service"
}

dependency "account" {
  config_path = "../account"

  mock_outputs = {
    access_log_bucket = "ledger-logs-210987654321"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
}

# One identity per environment: the workload runs in its own namespace, so the IRSA trust of
# this environment's role names a subject no other environment's pods have (IAM-03).
inputs = {
  name              = "ledger"
  environment       = "production"
  description       = "Ledger of the shop's payments."
  aws_account_id    = "210987654321"
  aws_region        = "eu-central-1"
  oidc_provider     = "oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
  namespace         = "payments-production"
  service_account   = "ledger-api"
  bucket_name       = "ledger-210987654321"
  access_log_bucket = dependency.account.outputs.access_log_bucket
  database_name     = "ledger"
  target_port       = 9444 # the sidecar's port for the load balancer (Istio; the service's port stays STRICT)

  # ENC-04: the environment key's administrators, whoever applies.
  key_administrator_arns = ["arn:aws:iam::210987654321:role/terraform-deployer"]

  # The environment's network and certificate are not secgen's to invent; add them here:
  # vpc_id, workload_security_group_id, database_subnet_ids, alb_subnet_ids, alb_ingress_cidr_blocks, certificate_arn.
}
