# hookgate container image: the release binary on distroless, as a non-root user.
#
#   docker build -t hookgate:0.1.0 .
#   docker run --rm -p 8080:8080 -p 9090:9090 -v "$PWD/config.yaml:/etc/hookgate/config.yaml:ro" hookgate:0.1.0
#   docker run --rm -v "$PWD/config.yaml:/etc/hookgate/config.yaml:ro" hookgate:0.1.0 check --no-secrets
#
# A queued route's store (queue.path, docs/queue.md) belongs on a volume that outlives the
# container, e.g. `-v hookgate-queue:/var/lib/hookgate` with queue.path
# /var/lib/hookgate/queue.redb: the folder below exists in the image, owned by the runtime user,
# so a fresh named volume starts writable for it.
#
# The Helm chart (charts/hookgate) mounts the config at /etc/hookgate/config.yaml and runs the
# container as uid/gid 65532 with a read-only root filesystem. Kept deliberately plain (no
# cache mounts, no cross-compilation) because this repository's CI has no container engine and
# cannot build it: tests/it/chart.rs only checks that it agrees with the chart (user, ports,
# config path) and that every file it copies exists.

# ---- build ----------------------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
# Only what the release build needs (.dockerignore keeps target/ and the rest out).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Cargo.toml declares a bench target; the manifest does not load without its file.
COPY benches ./benches
RUN cargo build --release --locked --bin hookgate \
 && install -D -m 0755 target/release/hookgate /out/hookgate \
 && install -d -m 0700 /out/queue

# ---- run ------------------------------------------------------------------------------------
# glibc and libgcc only (TLS is rustls; no OpenSSL), no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/hookgate /usr/local/bin/hookgate
COPY --from=build --chown=65532:65532 /out/queue /var/lib/hookgate
# distroless's "nonroot" user.
USER 65532:65532
# 8080: webhooks (listen); 9090: /metrics, /healthz, /readyz (admin_listen).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/hookgate", "--config", "/etc/hookgate/config.yaml"]
