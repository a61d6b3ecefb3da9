# syntax=docker/dockerfile:1
#
# tee-rex-server without an enclave: the same binaries, bb and verified CRS as Dockerfile.nitro,
# built by the same stages (keep the two files' stages identical; scripts/lint-infra.sh checks
# the pins match). Attestation defaults to `dev` (a software signer whose root the server writes
# to /var/lib/tee-rex/dev-root.pem): clients must opt in to trusting it, and it proves nothing
# about the machine. Use `--attestation none` for a plain remote prover.
#
#   docker build -f Dockerfile --build-arg CRS_BASE_URL=... -t tee-rex-server .
#   docker run --rm -p 127.0.0.1:4000:4000 tee-rex-server
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082
ARG RUNTIME_IMAGE=debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132
ARG DEBIAN_SNAPSHOT=20261115T000000Z

# --- Rust: tee-rex-server and tee-rex-crs from the locked workspace ---------------------------
FROM ${RUST_IMAGE} AS rust-build
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN rustc --version | grep -q '^rustc 1\.95\.0 ' \
    || { echo "RUST_IMAGE is not Rust 1.95.0: $(rustc --version)" >&2; exit 1; }
WORKDIR /src
COPY . .
# Fixed paths and no incremental state keep the binaries byte-identical between rebuilds.
ENV CARGO_INCREMENTAL=0 \
    RUSTFLAGS="--remap-path-prefix=/src=. --remap-path-prefix=/usr/local/cargo=/cargo"
RUN cargo build --release --locked -p tee-rex-server -p tee-rex-crs \
    && install -D -m 0755 target/release/tee-rex-server /out/bin/tee-rex-server \
    && install -D -m 0755 target/release/tee-rex-crs /out/bin/tee-rex-crs

# --- bb: from the npm registry, checked against scripts/bb.lock by scripts/provision.sh --------
FROM ${RUNTIME_IMAGE} AS bb
ARG DEBIAN_SNAPSHOT
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
COPY --chmod=0755 enclave/snapshot-sources.sh /usr/local/sbin/snapshot-sources
# Versions are pinned by the snapshot date, not per package.
# hadolint ignore=DL3008
RUN snapshot-sources "${DEBIAN_SNAPSHOT}" \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends ca-certificates nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/ scripts/
RUN scripts/provision.sh --bb \
    && . scripts/bb.lock \
    && install -D -m 0755 ".cache/bb/${BB_VERSION}/bb-real" /out/bin/bb \
    && echo "${BB_SHA256}  /out/bin/bb" | sha256sum -c -

# --- CRS: the real one, downloaded and verified point by point --------------------------------
FROM ${RUNTIME_IMAGE} AS crs
ARG DEBIAN_SNAPSHOT
ARG CRS_BASE_URL
ARG CRS_G1_POINTS=1048577
ARG CRS_GRUMPKIN_POINTS=65537
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
COPY --chmod=0755 enclave/snapshot-sources.sh /usr/local/sbin/snapshot-sources
# Versions are pinned by the snapshot date, not per package.
# hadolint ignore=DL3008
RUN snapshot-sources "${DEBIAN_SNAPSHOT}" \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=rust-build /out/bin/tee-rex-crs /usr/local/bin/tee-rex-crs
# No default source: the release workflow and docs/deploy.md name it. Verification, not the
# source, is what makes the CRS trustworthy, so any mirror that serves the same points works.
RUN test -n "${CRS_BASE_URL}" || { echo "set --build-arg CRS_BASE_URL (docs/deploy.md)" >&2; exit 1; } \
    && tee-rex-crs fetch --base-url "${CRS_BASE_URL}" --out /out/crs \
        --g1-points "${CRS_G1_POINTS}" --grumpkin-points "${CRS_GRUMPKIN_POINTS}" \
    && tee-rex-crs verify /out/crs \
        --g1-points "${CRS_G1_POINTS}" --grumpkin-points "${CRS_GRUMPKIN_POINTS}" \
    && test ! -e /out/crs/INSECURE_TEST_CRS

# --- Runtime ----------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ARG DEBIAN_SNAPSHOT
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN grep -q '^VERSION_CODENAME=trixie$' /etc/os-release \
    || { echo "RUNTIME_IMAGE is not Debian trixie" >&2; exit 1; }
COPY --chmod=0755 enclave/snapshot-sources.sh /usr/local/sbin/snapshot-sources
# Versions are pinned by the snapshot date, not per package.
# hadolint ignore=DL3008
RUN snapshot-sources "${DEBIAN_SNAPSHOT}" \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/tee-rex --create-home --shell /usr/sbin/nologin tee-rex
COPY --from=rust-build /out/bin/tee-rex-server /opt/tee-rex/bin/tee-rex-server
COPY --from=bb /out/bin/bb /opt/tee-rex/bin/bb
COPY --from=crs /out/crs /opt/tee-rex/crs
RUN /opt/tee-rex/bin/bb --version >/dev/null
USER 10001:10001
WORKDIR /var/lib/tee-rex
EXPOSE 4000
ENTRYPOINT ["/opt/tee-rex/bin/tee-rex-server", "--bb", "/opt/tee-rex/bin/bb", "--crs-dir", "/opt/tee-rex/crs"]
# Inside the container the server must listen on all interfaces for `-p` to reach it; publish
# the port on the host's loopback (as above) or behind a TLS proxy.
CMD ["--listen", "0.0.0.0:4000", "--attestation", "dev", "--dev-root-out", "/var/lib/tee-rex/dev-root.pem", "--log-format", "json"]
