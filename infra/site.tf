# The demo site and the API behind one CloudFront distribution:
#   /*         static files from a private S3 bucket (web/ build output)
#   /tee/*     the enclave host's vsock proxy (attested proving)
#   /prover/*  an optional unattested remote prover
# Every response carries COOP same-origin and COEP require-corp, so the page is cross-origin
# isolated and bb.js can run threaded in local mode.

resource "aws_s3_bucket" "site" {
  bucket_prefix = "${var.name}-site-"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Release artifacts the host reads (the EIF). Versioned, private.
resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "${var.name}-artifacts-"
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${var.name}-site"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudFrontReadsSite"
      Effect    = "Allow"
      Principal = { Service = "cloudfront.amazonaws.com" }
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.site.arn}/*"
      Condition = {
        StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.site.arn }
      }
    }]
  })
}

resource "aws_cloudfront_response_headers_policy" "isolation" {
  name    = "${var.name}-cross-origin-isolation"
  comment = "COOP/COEP for threaded bb.js, plus baseline security headers"

  custom_headers_config {
    items {
      header   = "Cross-Origin-Opener-Policy"
      value    = "same-origin"
      override = true
    }
    items {
      header   = "Cross-Origin-Embedder-Policy"
      value    = "require-corp"
      override = true
    }
    items {
      header   = "Cross-Origin-Resource-Policy"
      value    = "same-origin"
      override = true
    }
  }

  security_headers_config {
    content_type_options {
      override = true
    }
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      override                   = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
  }
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

# The server serves /health, /attestation and /prove at its root: drop the routing prefix.
resource "aws_cloudfront_function" "strip_api_prefix" {
  name    = "${var.name}-strip-api-prefix"
  runtime = "cloudfront-js-2.0"
  comment = "Removes the leading /tee or /prover before the request reaches its origin"
  publish = true
  code    = file("${path.module}/strip-api-prefix.js")
}

locals {
  tee_origin_id    = "tee"
  prover_origin_id = "prover"
  site_origin_id   = "site"
  api_origins = concat(
    [{ id = local.tee_origin_id, path = "/tee/*", domain = aws_instance.enclave_host.public_dns, port = var.api_port, protocol = "http-only" }],
    var.prover_origin_domain == "" ? [] : [
      { id = local.prover_origin_id, path = "/prover/*", domain = var.prover_origin_domain, port = var.prover_origin_port, protocol = "https-only" },
    ],
  )
}

resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  comment             = "tee-rex demo and API"
  default_root_object = "index.html"
  price_class         = var.price_class
  http_version        = "http2and3"

  origin {
    origin_id                = local.site_origin_id
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  # CloudFront -> host is plain HTTP on purpose: the host is untrusted anyway. Proving inputs are
  # OpenPGP-encrypted to the enclave's attested key, and attestation documents are signed.
  dynamic "origin" {
    for_each = local.api_origins
    content {
      origin_id   = origin.value.id
      domain_name = origin.value.domain
      custom_origin_config {
        http_port                = origin.value.port
        https_port               = origin.value.port
        origin_protocol_policy   = origin.value.protocol
        origin_ssl_protocols     = ["TLSv1.2"]
        origin_read_timeout      = var.origin_read_timeout
        origin_keepalive_timeout = 60
      }
    }
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.isolation.id
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.api_origins
    content {
      path_pattern               = ordered_cache_behavior.value.path
      target_origin_id           = ordered_cache_behavior.value.id
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = false
      cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
      origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
      response_headers_policy_id = aws_cloudfront_response_headers_policy.isolation.id

      function_association {
        event_type   = "viewer-request"
        function_arn = aws_cloudfront_function.strip_api_prefix.arn
      }
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
