locals {
  oidc_provider_arn = "arn:${var.partition}:iam::${var.aws_account_id}:oidc-provider/${var.oidc_provider}"
}

# IAM-03: only the named Kubernetes ServiceAccount of the named namespace, presenting a
# token for STS, may assume the role; no node instance profile is involved.
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "IrsaWebIdentity"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

# IAM-01, IAM-02: one Allow statement per entry of var.statements, each an explicit list of
# actions on explicit ARNs with the entry's conditions (validated in variables.tf).
data "aws_iam_policy_document" "permissions" {
  dynamic "statement" {
    for_each = var.statements

    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = var.role_description
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

# IAM-01: the role's only permissions; no managed policy is attached.
resource "aws_iam_role_policy" "this" {
  name   = "${var.role_name}-permissions"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}
