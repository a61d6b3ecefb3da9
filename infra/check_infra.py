"""Checks the tee-rex OpenTofu configuration and host files for the settings the deployment
relies on. No OpenTofu binary can be installed from a package registry, so this parses the HCL
with python-hcl2 and asserts on the parsed tree. Run by scripts/lint-infra.sh.

Usage: python check_infra.py <infra-dir>
Exits 1 and lists every finding if any check fails.
"""

import glob
import os
import re
import sys

import hcl2


def normalize(node):
    """Unquotes block labels (python-hcl2 keeps `"aws_instance"` quoted) throughout the tree."""
    if isinstance(node, dict):
        return {unquote(key): normalize(value) for key, value in node.items()}
    if isinstance(node, list):
        return [normalize(item) for item in node]
    return node


def load(infra_dir):
    """Parses every *.tf file and returns {block kind: [(file, block)]} for the top level."""
    parsed = {}
    for path in sorted(glob.glob(os.path.join(infra_dir, "*.tf"))):
        with open(path, encoding="utf-8") as handle:
            tree = normalize(hcl2.load(handle))
        for kind, blocks in tree.items():
            if kind.startswith("__"):
                continue
            for block in blocks:
                parsed.setdefault(kind, []).append((os.path.basename(path), block))
    return parsed


def resources(parsed, rtype):
    """Yields (name, body) of every resource of the given type."""
    for _, block in parsed.get("resource", []):
        for kind, named in block.items():
            if kind == rtype:
                for name, body in named.items():
                    yield name, body


def unquote(value):
    """python-hcl2 keeps string literals quoted; strip one level of quotes."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def first(value):
    """Nested blocks come back as lists of dicts; take the only one."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value


def check(infra_dir):
    """Returns a list of findings (empty when everything holds)."""
    findings = []
    parsed = load(infra_dir)

    # Region comes from a variable.
    providers = [block["aws"] for _, block in parsed.get("provider", []) if "aws" in block]
    if not providers or any(unquote(first(p).get("region")) != "${var.region}" for p in providers):
        findings.append("provider aws: region must be var.region")
    if "region" not in {name for _, block in parsed.get("variable", []) for name in block}:
        findings.append("variable region is missing")

    # The enclave host: enclave options on, no SSH key, IMDSv2, user data with the allocator.
    instances = list(resources(parsed, "aws_instance"))
    if not instances:
        findings.append("no aws_instance: the enclave host is missing")
    for name, body in instances:
        if first(body.get("enclave_options")).get("enabled") is not True:
            findings.append(f"aws_instance.{name}: enclave_options.enabled must be true")
        if "key_name" in body:
            findings.append(f"aws_instance.{name}: key_name set (no SSH keys: use SSM)")
        if unquote(first(body.get("metadata_options")).get("http_tokens")) != "required":
            findings.append(f"aws_instance.{name}: metadata_options.http_tokens must be required")
        if "iam_instance_profile" not in body:
            findings.append(f"aws_instance.{name}: no instance profile (SSM needs one)")
        if "host/user-data.sh.tftpl" not in str(body.get("user_data", "")):
            findings.append(f"aws_instance.{name}: user_data must render host/user-data.sh.tftpl")

    # SSM access.
    ssm = [
        body
        for _, body in resources(parsed, "aws_iam_role_policy_attachment")
        if "AmazonSSMManagedInstanceCore" in str(body.get("policy_arn"))
    ]
    if not ssm:
        findings.append("no AmazonSSMManagedInstanceCore attachment: the host is unmanageable")

    # Ingress: never port 22, never the whole internet, only the API port.
    def port_findings(where, body):
        out = []
        low, high = body.get("from_port"), body.get("to_port")
        if isinstance(low, int) and isinstance(high, int) and low <= 22 <= high:
            out.append(f"{where}: opens port 22")
        elif low != "${var.api_port}" or high != "${var.api_port}":
            out.append(f"{where}: ingress must be exactly var.api_port, got {low}..{high}")
        if str(body.get("ip_protocol", body.get("protocol", ""))).strip('"') in ("-1", "all"):
            out.append(f"{where}: ingress on all protocols")
        for key in ("cidr_ipv4", "cidr_blocks", "cidr_ipv6", "ipv6_cidr_blocks"):
            if "0.0.0.0/0" in str(body.get(key, "")) or "::/0" in str(body.get(key, "")):
                out.append(f"{where}: ingress from the whole internet")
        return out

    for name, body in resources(parsed, "aws_vpc_security_group_ingress_rule"):
        findings += port_findings(f"aws_vpc_security_group_ingress_rule.{name}", body)
    for name, body in resources(parsed, "aws_security_group_rule"):
        if unquote(body.get("type")) == "ingress":
            findings += port_findings(f"aws_security_group_rule.{name}", body)
    for name, body in resources(parsed, "aws_security_group"):
        for rule in body.get("ingress", []) or []:
            findings += port_findings(f"aws_security_group.{name} inline ingress", rule)

    # CloudFront: COOP/COEP on a response headers policy used by every behaviour.
    policies = dict(resources(parsed, "aws_cloudfront_response_headers_policy"))
    isolating = set()
    for name, body in policies.items():
        items = first(body.get("custom_headers_config")).get("items", [])
        headers = {unquote(i.get("header")).lower(): unquote(i.get("value")) for i in items}
        if (
            headers.get("cross-origin-opener-policy") == "same-origin"
            and headers.get("cross-origin-embedder-policy") == "require-corp"
        ):
            isolating.add(f"${{aws_cloudfront_response_headers_policy.{name}.id}}")
    if not isolating:
        findings.append("no response headers policy sets COOP same-origin and COEP require-corp")

    distributions = list(resources(parsed, "aws_cloudfront_distribution"))
    if not distributions:
        findings.append("no aws_cloudfront_distribution")
    for name, body in distributions:
        behaviours = [first(body.get("default_cache_behavior"))]
        patterns = set()
        for dyn in body.get("dynamic", []):
            content = first(dyn.get("ordered_cache_behavior", {})).get("content")
            if content:
                behaviours.append(first(content))
        for behaviour in body.get("ordered_cache_behavior", []) or []:
            behaviours.append(behaviour)
            patterns.add(unquote(behaviour.get("path_pattern")))
        for behaviour in behaviours:
            if behaviour.get("response_headers_policy_id") not in isolating:
                findings.append(f"aws_cloudfront_distribution.{name}: a behaviour lacks the COOP/COEP policy")
            if unquote(behaviour.get("viewer_protocol_policy")) == "allow-all":
                findings.append(f"aws_cloudfront_distribution.{name}: a behaviour allows plain HTTP")
        origins_text = str(body.get("dynamic", [])) + str(parsed.get("locals", []))
        for prefix in ("/tee/*", "/prover/*"):
            if prefix not in origins_text and prefix not in patterns:
                findings.append(f"aws_cloudfront_distribution.{name}: no {prefix} behaviour")
        if "origin_read_timeout" not in origins_text or "var.origin_read_timeout" not in origins_text:
            findings.append(f"aws_cloudfront_distribution.{name}: API origins must use var.origin_read_timeout")

    timeout = [b for _, b in parsed.get("variable", []) if "origin_read_timeout" in b]
    if not timeout or first(timeout[0]["origin_read_timeout"]).get("default", 0) < 60:
        findings.append("variable origin_read_timeout must default to at least 60 s")

    # Host files: allocator sizing, units that restart, no debug-mode enclave.
    host = os.path.join(infra_dir, "host")
    with open(os.path.join(host, "user-data.sh.tftpl"), encoding="utf-8") as handle:
        user_data = handle.read()
    for needle in ("/etc/nitro_enclaves/allocator.yaml", "memory_mib: ${enclave_memory_mib}",
                   "cpu_count: ${enclave_cpu_count}", "nitro-enclaves-allocator.service"):
        if needle not in user_data:
            findings.append(f"host/user-data.sh.tftpl: missing {needle!r}")
    for unit in ("tee-rex-enclave.service", "tee-rex-vsock-proxy.service"):
        with open(os.path.join(host, unit), encoding="utf-8") as handle:
            text = handle.read()
        if not re.search(r"^Restart=always$", text, re.M):
            findings.append(f"host/{unit}: needs Restart=always")
        if unit not in user_data.replace("${proxy_unit}", "tee-rex-vsock-proxy.service"):
            findings.append(f"host/user-data.sh.tftpl: does not install {unit}")
    with open(os.path.join(host, "tee-rex-vsock-proxy.service"), encoding="utf-8") as handle:
        if "VSOCK-CONNECT:${ENCLAVE_CID}:${VSOCK_PORT}" not in handle.read():
            findings.append("host/tee-rex-vsock-proxy.service: must dial the enclave's vsock port")
    for path in glob.glob(os.path.join(host, "*")):
        with open(path, encoding="utf-8") as handle:
            if "--debug-mode" in handle.read():
                findings.append(f"host/{os.path.basename(path)}: never run the enclave in debug mode")

    return findings


def main():
    infra_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    findings = check(infra_dir)
    for finding in findings:
        print(f"infra: {finding}", file=sys.stderr)
    if findings:
        sys.exit(1)
    print(f"infra: all checks passed ({infra_dir})")


if __name__ == "__main__":
    main()
