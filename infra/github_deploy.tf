# The role .github/workflows/deploy.yml assumes through GitHub's OIDC provider: no long-lived AWS
# keys in GitHub. It trusts only the configured repository's deploy environment.

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "github_deploy" {
  name = "${var.name}-github-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:environment:${var.github_environment}"
        }
      }
    }]
  })
}

# `tofu apply` manages everything in this folder, so the role needs broad rights over those
# services. Narrow it once the stack is stable (docs/deploy.md, "Hardening").
resource "aws_iam_role_policy_attachment" "github_deploy_power_user" {
  role       = aws_iam_role.github_deploy.name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_role_policy" "github_deploy_iam" {
  name = "manage-tee-rex-iam"
  role = aws_iam_role.github_deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = ["iam:*Role*", "iam:*InstanceProfile*", "iam:PassRole", "iam:*OpenIDConnectProvider*", "iam:ListAttachedRolePolicies", "iam:GetPolicy*"]
        Resource = [
          "arn:aws:iam::*:role/${var.name}-*",
          "arn:aws:iam::*:instance-profile/${var.name}-*",
          aws_iam_openid_connect_provider.github.arn,
        ]
      },
    ]
  })
}
