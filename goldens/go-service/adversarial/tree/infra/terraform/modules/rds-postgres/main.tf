resource "aws_db_subnet_group" "this" {
  name       = var.identifier
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

# NET-01: PostgreSQL is admitted only from the clients' security groups, never from a CIDR.
resource "aws_security_group" "this" {
  name        = "${var.identifier}-postgres"
  description = "PostgreSQL ${var.identifier}: reachable only from the allowed security groups."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from an allowed client security group"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

# ENC-02: TLS is forced for every connection; clients must verify the server certificate.
resource "aws_db_parameter_group" "this" {
  name        = "${var.identifier}-postgres${var.engine_major_version}"
  family      = "postgres${var.engine_major_version}"
  description = "Forces TLS for ${var.identifier}."
  tags        = var.tags

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "ssl_min_protocol_version"
    value        = "TLSv1.2"
    apply_method = "pending-reboot"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  # Schema changes are logged; "all" would also log every statement's data.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_major_version
  instance_class = var.instance_class
  db_name        = var.database_name
  port           = 5432

  # SEC-01: no password in code or state variables. RDS generates the master password
  # and keeps it in Secrets Manager, encrypted with the customer-managed key.
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  # ENC-02: storage encrypted with the customer-managed key.
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn
  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb

  # ENC-02: private only.
  publicly_accessible    = false
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  multi_az               = var.multi_az

  # IAM database authentication stays off: the service connects with the password of its
  # DATABASE_URL secret (its connector requests no RDS authentication tokens), and an
  # enabled method that nothing uses would be one more way in to watch.
  iam_database_authentication_enabled = false

  # ENC-02: deletion protection and backups.
  deletion_protection       = true
  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.identifier}-final"
  delete_automated_backups  = false

  auto_minor_version_upgrade      = true
  allow_major_version_upgrade     = false
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  tags = var.tags
}
