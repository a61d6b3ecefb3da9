# Values the deploy workflow and docs/deploy.md use.

output "site_url" {
  description = "The demo site; the API is under /tee (and /prover when configured)."
  value       = "https://${aws_cloudfront_distribution.site.domain_name}"
}

output "distribution_id" {
  description = "CloudFront distribution to invalidate after a site upload."
  value       = aws_cloudfront_distribution.site.id
}

output "site_bucket" {
  description = "S3 bucket the web/ build is synced to."
  value       = aws_s3_bucket.site.bucket
}

output "artifacts_bucket" {
  description = "S3 bucket the release EIF is uploaded to (under eif/)."
  value       = aws_s3_bucket.artifacts.bucket
}

output "eif_s3_key" {
  description = "Key the host fetches the EIF from."
  value       = var.eif_s3_key
}

output "enclave_host_instance_id" {
  description = "Instance to reach with `aws ssm start-session`."
  value       = aws_instance.enclave_host.id
}

output "github_deploy_role_arn" {
  description = "Set as the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment."
  value       = aws_iam_role.github_deploy.arn
}
