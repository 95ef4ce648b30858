output "role_arn" {
  description = "ARN of the role; annotate the Kubernetes ServiceAccount with it (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}
