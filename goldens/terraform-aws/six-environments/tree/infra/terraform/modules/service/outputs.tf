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
