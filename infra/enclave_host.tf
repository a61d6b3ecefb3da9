# The Nitro Enclave host: one EC2 instance with enclave support, reachable only on the API port
# (from CloudFront and allowed_cidrs) and managed through SSM. There is no SSH key and no port 22.

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_ssm_parameter" "al2023_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_ec2_managed_prefix_list" "cloudfront_origin_facing" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "enclave_host" {
  name        = "${var.name}-enclave-host"
  description = "tee-rex enclave host: the API port only, from CloudFront and allowed CIDRs"
  vpc_id      = data.aws_vpc.default.id

  # Outbound: SSM, the package repositories and S3 (the EIF). The enclave itself has no network.
  egress {
    description = "SSM, dnf and S3"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "api_from_cloudfront" {
  security_group_id = aws_security_group.enclave_host.id
  description       = "tee-rex API from CloudFront's origin-facing addresses"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id
  ip_protocol       = "tcp"
  from_port         = var.api_port
  to_port           = var.api_port
}

resource "aws_vpc_security_group_ingress_rule" "api_from_allowed" {
  for_each = toset(var.allowed_cidrs)

  security_group_id = aws_security_group.enclave_host.id
  description       = "tee-rex API from an allowed CIDR"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.api_port
  to_port           = var.api_port
}

resource "aws_iam_role" "enclave_host" {
  name = "${var.name}-enclave-host"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "enclave_host_ssm" {
  role       = aws_iam_role.enclave_host.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "enclave_host_read_eif" {
  name = "read-eif"
  role = aws_iam_role.enclave_host.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "${aws_s3_bucket.artifacts.arn}/eif/*"
    }]
  })
}

resource "aws_iam_instance_profile" "enclave_host" {
  name = "${var.name}-enclave-host"
  role = aws_iam_role.enclave_host.name
}

resource "aws_instance" "enclave_host" {
  ami                    = data.aws_ssm_parameter.al2023_ami.value
  instance_type          = var.instance_type
  subnet_id              = sort(data.aws_subnets.default.ids)[0]
  vpc_security_group_ids = [aws_security_group.enclave_host.id]
  iam_instance_profile   = aws_iam_instance_profile.enclave_host.name
  # No key_name: operators use SSM Session Manager.

  enclave_options {
    enabled = true
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 30
    encrypted   = true
  }

  user_data_replace_on_change = true
  user_data = templatefile("${path.module}/host/user-data.sh.tftpl", {
    enclave_cpu_count  = var.enclave_cpu_count
    enclave_memory_mib = var.enclave_memory_mib
    enclave_cid        = var.enclave_cid
    enclave_vsock_port = var.enclave_vsock_port
    api_port           = var.api_port
    eif_s3_uri         = "s3://${aws_s3_bucket.artifacts.bucket}/${var.eif_s3_key}"
    eif_sha256         = var.eif_sha256
    region             = var.region
    enclave_script     = file("${path.module}/host/tee-rex-enclave.sh")
    enclave_unit       = file("${path.module}/host/tee-rex-enclave.service")
    proxy_unit         = file("${path.module}/host/tee-rex-vsock-proxy.service")
  })

  tags = {
    Name = "${var.name}-enclave-host"
  }

  # A newer Amazon Linux image alone should not replace the enclave host on every deploy.
  # Replace it deliberately: `tofu apply -replace=aws_instance.enclave_host`.
  lifecycle {
    ignore_changes = [ami]
  }
}
