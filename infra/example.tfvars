# Copy to terraform.tfvars (ignored by .dockerignore; keep it out of git if it names accounts).
region            = "eu-west-1"
github_repository = "alejoamiras/tee-rex"
# From the GitHub release you deploy: the contents of tee-rex.eif.sha256 (first field).
eif_sha256 = "REPLACE_WITH_THE_FIRST_FIELD_OF_tee-rex.eif.sha256"
# allowed_cidrs        = ["203.0.113.7/32"]
# prover_origin_domain = "prover.example.org"
# origin_read_timeout  = 180   # after the Service Quotas increase, see docs/deploy.md
