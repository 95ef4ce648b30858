# NET-01: only 443 and 80 are admitted, from the allowed networks; no administrative port.
resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "ALB ${var.name}: HTTPS and redirecting HTTP in, traffic to the targets out."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = toset(var.ingress_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTPS from an allowed network"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "http_redirect" {
  for_each = toset(var.ingress_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTP from an allowed network, answered only with a redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id            = aws_security_group.this.id
  description                  = "Traffic to the targets' security group on the target port"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = var.target_security_group_id
}

# NET-01: the other half of the path to the targets. The targets' security group (the pods'
# with security groups for pods, else the nodes') admits the load balancer's security group,
# and only it, on the target port; without this rule the target group never sees a healthy
# target. Other rules of that group are its owner's: this is a standalone rule, so applying
# this module neither removes nor replaces them.
resource "aws_vpc_security_group_ingress_rule" "targets_from_alb" {
  security_group_id            = var.target_security_group_id
  description                  = "Traffic from the ALB ${var.name} on the target port"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "application"
  internal           = var.internal
  security_groups    = [aws_security_group.this.id]
  subnets            = var.subnet_ids

  # ENC-05: requests with header fields that are not valid HTTP are dropped, not forwarded.
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = true

  access_logs {
    bucket  = var.access_log_bucket
    prefix  = "alb/${var.name}"
    enabled = true
  }

  tags = var.tags
}

# Between the load balancer and the targets, inside the VPC, traffic is plain HTTP unless
# target_protocol is HTTPS (which needs targets that terminate TLS themselves; the
# service as rendered listens in plain HTTP).
resource "aws_lb_target_group" "this" {
  name        = var.name
  port        = var.target_port
  protocol    = var.target_protocol
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    enabled  = true
    protocol = var.target_protocol
    path     = var.health_check_path
    matcher  = "200"
  }

  tags = var.tags
}

# ENC-05: TLS 1.3 (with TLS 1.2 fallback) is the only way in.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

# ENC-05: plain HTTP only ever answers with a permanent redirect to HTTPS.
resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}
