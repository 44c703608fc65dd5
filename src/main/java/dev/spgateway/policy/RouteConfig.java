package dev.spgateway.policy;

import java.util.List;

/**
 * What a caller may do on one upstream, acting as one service principal.
 *
 * @param upstream the upstream's name ({@code graph}, {@code crm-prod})
 * @param as the service principal whose token is spent
 * @param allow rules of the form {@code "GET /v1.0/users/{id}"}
 */
public record RouteConfig(String upstream, String as, List<String> allow) {}
