# OpenTofu settings, the AWS provider and the state backend.
#
# State lives in an S3 bucket that you create once, before the first `tofu init`
# (docs/deploy.md, "Bootstrap"): `tofu init -backend-config=backend.hcl`. OpenTofu 1.10 or later:
# the backend locks with `use_lockfile`.
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "tee-rex"
      ManagedBy = "opentofu"
    }
  }
}
