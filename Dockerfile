# syntax=docker/dockerfile:1
# meldpunt: multi-stage build, slim non-root runtime.
#   docker build -t meldpunt .
#   docker run -p 8080:8080 -v meldpunt-data:/var/lib/meldpunt/data meldpunt            (SQLite)
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://user:pass@db/meldpunt meldpunt  (PostgreSQL)

FROM rust:1.95-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev=15.* \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY templates ./templates
COPY migrations ./migrations
COPY data/seed ./data/seed
RUN cargo build --release --locked --bin meldpunt \
    && strip target/release/meldpunt

FROM debian:bookworm-slim
# ca-certificates follows Debian's security updates; pinning it would freeze stale roots.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5=15.* ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/meldpunt --create-home meldpunt \
    && install -d -o meldpunt -g meldpunt /var/lib/meldpunt/data
COPY --from=build /src/target/release/meldpunt /usr/local/bin/meldpunt
USER 10001:10001
WORKDIR /var/lib/meldpunt
ENV MELDPUNT_LISTEN=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/meldpunt/data/meldpunt.sqlite3 \
    MELDPUNT_LOG_FORMAT=json
VOLUME ["/var/lib/meldpunt/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["meldpunt", "healthcheck"]
ENTRYPOINT ["meldpunt"]
CMD ["serve"]
