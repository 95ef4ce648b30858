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

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "alb_target_group_arn" {
  description = "Target group to bind the service's pods to."
  value       = module.alb.target_group_arn
}
