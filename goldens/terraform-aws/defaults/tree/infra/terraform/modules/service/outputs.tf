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

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "alb_target_group_arn" {
  description = "Target group to bind the service's pods to."
  value       = module.alb.target_group_arn
}
