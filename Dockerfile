# syntax=docker/dockerfile:1
# The tutorchat image: the server (Rust), the web client (Vite) and a small runtime.
# Used by compose.yaml for the migration step and the replicas.

FROM rust:1.95-bookworm AS server
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml build.rs ./
COPY src src
COPY sql sql
COPY deploy deploy
COPY tests tests
# The workspace names the benchmark and the development harness; neither is built into the image.
COPY bench bench
COPY dev dev
# Cargo's downloads and the build directory are kept between builds (cache mounts, which
# `docker compose build` and `podman-compose build` both honour): a rebuild after a change
# compiles tutorchat itself, not its few hundred dependencies again. The binary is copied out
# of the cache, which is not part of the image.
RUN --mount=type=cache,id=tutorchat-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=tutorchat-target,target=/src/target,sharing=locked \
    cargo build --release --locked --bin tutorchat \
    && cp target/release/tutorchat /usr/local/bin/tutorchat

FROM node:20-bookworm AS client
WORKDIR /client
COPY client/package.json client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY client/ ./
RUN npm run build

FROM debian:bookworm-slim
# CA certificates: the webhook and S3 are reached over HTTPS.
# fonts-dejavu-core: the font PDF exports are set in (EXPORT_FONT); fonts-symbola their emoji
# (EXPORT_FALLBACK_FONT).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates fonts-dejavu-core fonts-symbola \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home tutorchat \
    && mkdir -p /var/lib/tutorchat/attachments && chown -R tutorchat /var/lib/tutorchat
COPY --from=server /usr/local/bin/tutorchat /usr/local/bin/tutorchat
COPY --from=client /client/dist /srv/tutorchat/client
ENV LISTEN_ADDR=0.0.0.0:8080 \
    STATIC_DIR=/srv/tutorchat/client \
    LOG_FORMAT=json
USER tutorchat
EXPOSE 8080
ENTRYPOINT ["tutorchat"]
CMD ["serve"]
