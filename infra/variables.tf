# Inputs. Only `region`, `eif_sha256` and `github_repository` have no usable default; see
# example.tfvars for a complete set.

variable "region" {
  description = "AWS region for the enclave host, the buckets and the deploy role (CloudFront itself is global)."
  type        = string
}

variable "name" {
  description = "Prefix for every resource name."
  type        = string
  default     = "tee-rex"
}

variable "instance_type" {
  description = "Nitro-based instance type with enclave support and at least 4 vCPUs. The host keeps what the enclave does not take."
  type        = string
  default     = "c6i.4xlarge"
}

variable "enclave_cpu_count" {
  description = "vCPUs given to the enclave (even: whole cores). bb uses them all through OpenMP."
  type        = number
  default     = 12

  validation {
    condition     = var.enclave_cpu_count >= 2 && var.enclave_cpu_count % 2 == 0
    error_message = "enclave_cpu_count must be an even number of at least 2."
  }
}

variable "enclave_memory_mib" {
  description = "Memory given to the enclave, in MiB. It holds the image (bb, CRS) in RAM as well as bb's working set."
  type        = number
  default     = 24576

  validation {
    condition     = var.enclave_memory_mib >= 4096
    error_message = "enclave_memory_mib must be at least 4096."
  }
}

variable "api_port" {
  description = "TCP port of the host's vsock proxy, which CloudFront (and allowed_cidrs) reach."
  type        = number
  default     = 4000
}

variable "enclave_vsock_port" {
  description = "vsock port the in-enclave bridge listens on (enclave/entrypoint.sh)."
  type        = number
  default     = 5000
}

variable "enclave_cid" {
  description = "Context ID given to the enclave at start; the host proxy dials it."
  type        = number
  default     = 16
}

variable "allowed_cidrs" {
  description = "Extra IPv4 CIDRs allowed to reach api_port directly (e.g. an operator's address). CloudFront is always allowed."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.allowed_cidrs, "0.0.0.0/0")
    error_message = "Do not open the API to the whole internet; put it behind CloudFront."
  }

  # CloudFront's origin-facing prefix list counts as about 55 rules against the default quota
  # of 60 inbound rules per security group.
  validation {
    condition     = length(var.allowed_cidrs) <= 4
    error_message = "At most 4 allowed_cidrs fit beside CloudFront's prefix list (raise the security group rules quota for more)."
  }
}

variable "eif_s3_key" {
  description = "Key of the EIF in the artifacts bucket (the release workflow's tee-rex.eif)."
  type        = string
  default     = "eif/tee-rex.eif"
}

variable "eif_sha256" {
  description = "SHA-256 of the EIF to run (tee-rex.eif.sha256 from the release). The host refuses any other file."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.eif_sha256))
    error_message = "eif_sha256 must be 64 lowercase hex characters."
  }
}

variable "prover_origin_domain" {
  description = "Domain of an unattested remote prover served under /prover (empty: no /prover behaviour)."
  type        = string
  default     = ""
}

variable "prover_origin_port" {
  description = "HTTPS port of the /prover origin."
  type        = number
  default     = 443
}

variable "origin_read_timeout" {
  description = "Seconds CloudFront waits for the /tee and /prover origins. 60 is CloudFront's default maximum; up to 180 after a Service Quotas increase of 'Response timeout per origin'."
  type        = number
  default     = 60

  validation {
    condition     = var.origin_read_timeout >= 30 && var.origin_read_timeout <= 180
    error_message = "origin_read_timeout must be between 30 and 180 seconds."
  }
}

variable "price_class" {
  description = "CloudFront price class for the demo site."
  type        = string
  default     = "PriceClass_100"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow may assume the deploy role."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment the deploy job runs in; the role trusts only that environment."
  type        = string
  default     = "production"
}
