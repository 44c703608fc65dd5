# sp-gateway container image. Build: docker build -t sp-gateway .   (see deploy/README.md)
#
# Base images are pinned by digest, so a rebuild gets the same JDK and OS packages. These digests were taken from
# public Dockerfiles that pin the same tags; they were not pulled here. Check and bump them together, e.g. with
#   docker buildx imagetools inspect eclipse-temurin:17-jre-jammy
# (or let Renovate / Dependabot keep them current).

# Build stage: the same Maven and JDK as CI.
FROM maven:3.9.9-eclipse-temurin-17@sha256:f58d59b6273e785ac0a4477f6e9b5ba1d7731c75b906c0f7b34076f1851318cc AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY config/sandbox.yaml ./config/sandbox.yaml
RUN mvn -B -q -DskipTests package

# Run stage: a JRE only, as an unprivileged user.
FROM eclipse-temurin:17-jre-jammy@sha256:475d8e96b4b2bfe08999e5e854755c773af1581acdf959a4545d88f0696a2339
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin spgateway \
 && mkdir -p /app/audit /etc/sp-gateway && chown spgateway /app/audit
WORKDIR /app
COPY --from=build /src/target/sp-gateway.jar /app/sp-gateway.jar
COPY deploy/jvm.options /app/jvm.options
# No default config: the example's key hashes are placeholders that fail validation, so a container started
# without its own config (mounted at /etc/sp-gateway/gateway.yaml) stops with a message instead of letting anyone in.
COPY config/gateway.example.yaml /etc/sp-gateway/gateway.example.yaml
# The audit log must outlive the container: mount a persistent volume here (audit.file: /app/audit/audit.jsonl).
VOLUME ["/app/audit"]
USER 10001
# Inside the image the admin port listens on every interface so that probes and Prometheus can reach it: your
# config's admin.host should be 0.0.0.0, or "${SPGW_ADMIN_HOST:-127.0.0.1}" as in the example, which reads the
# variable set below. Keep it off the callers' network: publish only 8080 to callers,
# and let only the orchestrator and the scraper reach 9090 (deploy/kubernetes/networkpolicy.yaml).
# `sandbox` listens on every interface too, so `docker run -p 8080:8080 -p 9090:9090 sp-gateway sandbox` works.
# MALLOC_ARENA_MAX: glibc's per-thread malloc arenas otherwise add tens of MB of resident memory (deploy/README.md).
ENV SPGW_ADMIN_HOST=0.0.0.0 \
    SPGW_SANDBOX_HOST=0.0.0.0 \
    SPGW_LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2
EXPOSE 8080 9090
# Ready = secrets loaded and the listener up. bash's /dev/tcp: the JRE image needs no curl for this.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/sp-gateway.jar"]
CMD ["serve", "--config", "/etc/sp-gateway/gateway.yaml"]
