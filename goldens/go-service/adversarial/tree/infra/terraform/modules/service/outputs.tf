output "kms_key_arn" {
  description = "ARN of the environment's KMS key."
  value       = module.kms.key_arn
}

output "bucket_name" {
  description = "Name of the service's bucket."
  value       = module.bucket.bucket_name
}

output "irsa_role_arn" {
  description = "Role to annotate the Kubernetes ServiceAccount with (eks.amazonaws.com/role-arn, K8S-11)."
  value       = module.irsa.role_arn
}

output "secret_store_role_arn" {
  description = "Role of this environment's SecretStore: annotate its ServiceAccount (NAME-secret-store) with it (K8S-09)."
  value       = module.secret_store.role_arn
}

output "secret_prefix" {
  description = "Name prefix of this environment's secrets in Secrets Manager; its SecretStore reads nothing else."
  value       = local.secret_prefix
}

output "database_endpoint" {
  description = "Host name of the database."
  value       = module.database.endpoint
}

output "database_cidrs" {
  description = "Ranges of the database subnets: this environment's pods may reach them (deploy/k8s database_cidrs or staging_database_cidrs), no other environment's."
  value       = sort([for s in data.aws_subnet.database : s.cidr_block])
}

output "database_master_user_secret_arn" {
  description = "Secrets Manager secret with the generated master password (never in state variables or code)."
  value       = module.database.master_user_secret_arn
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "alb_target_group_arn" {
  description = "Target group to bind the service's pods to."
  value       = module.alb.target_group_arn
}
