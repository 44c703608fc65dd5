# Build stage: the same Maven and JDK as CI.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q -DskipTests package

# Run stage: a JRE only, as an unprivileged user.
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin spgateway \
 && mkdir -p /app/audit /etc/sp-gateway && chown spgateway /app/audit
WORKDIR /app
COPY --from=build /src/target/sp-gateway.jar /app/sp-gateway.jar
# No default config: the example's key hashes are placeholders that fail validation, so a container started
# without its own config (mounted at /etc/sp-gateway/gateway.yaml) stops with a message instead of letting anyone in.
COPY config/gateway.example.yaml /etc/sp-gateway/gateway.example.yaml
USER 10001
EXPOSE 8080 9090
ENTRYPOINT ["java", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/sp-gateway.jar"]
CMD ["serve", "--config", "/etc/sp-gateway/gateway.yaml"]
