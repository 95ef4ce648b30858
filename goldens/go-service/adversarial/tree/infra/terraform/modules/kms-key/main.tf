# ENC-04: a customer-managed key with automatic rotation. The key policy is a separate
# resource so that every statement can name this key's own ARN instead of "*".
resource "aws_kms_key" "this" {
  description             = var.description
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  multi_region            = false
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}

# ENC-04, IAM-01: the key policy names its principals; there is no account-wide delegation
# to the root principal and no wildcard action or resource.
data "aws_iam_policy_document" "key" {
  statement {
    sid    = "KeyAdministration"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = [aws_kms_key.this.arn]

    principals {
      type        = "AWS"
      identifiers = var.administrator_arns
    }
  }

  # Break glass: should every administrator be deleted, the account can still administer
  # (never use) the key through one named role. The principal is the account, narrowed by
  # aws:PrincipalArn to that role's ARN: a role named in a key policy is pinned to its unique
  # ID, so once deleted and re-created it would no longer match, whereas this condition
  # matches whichever role carries the name. Creating that role is an account administrator's
  # act, outside this configuration.
  statement {
    sid    = "BreakGlassAdministration"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:DescribeKey",
      "kms:EnableKey",
      "kms:GetKeyPolicy",
      "kms:PutKeyPolicy",
    ]
    resources = [aws_kms_key.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${split(":", var.break_glass_role_arn)[1]}:iam::${split(":", var.break_glass_role_arn)[4]}:root"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [var.break_glass_role_arn]
    }
  }

  # IAM-02: administrators may use the key only through the listed AWS services.
  statement {
    sid    = "KeyUseByAdministratorsThroughServices"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = [aws_kms_key.this.arn]

    principals {
      type        = "AWS"
      identifiers = var.administrator_arns
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = var.via_services
    }
  }

  # IAM-02: grants only for AWS resources (RDS and Secrets Manager create them).
  statement {
    sid       = "GrantsForAwsResourcesOnly"
    effect    = "Allow"
    actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    resources = [aws_kms_key.this.arn]

    principals {
      type        = "AWS"
      identifiers = var.administrator_arns
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  dynamic "statement" {
    for_each = length(var.user_arns) > 0 ? [1] : []

    content {
      sid       = "KeyUseThroughServices"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
      resources = [aws_kms_key.this.arn]

      principals {
        type        = "AWS"
        identifiers = var.user_arns
      }

      # IAM-02: workloads use the key only through the listed AWS services.
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = var.via_services
      }
    }
  }
}

resource "aws_kms_key_policy" "this" {
  key_id                             = aws_kms_key.this.id
  policy                             = data.aws_iam_policy_document.key.json
  bypass_policy_lockout_safety_check = false
}
