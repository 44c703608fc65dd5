package dev.spgateway.policy.batch;

import dev.spgateway.policy.Decision;
import dev.spgateway.policy.MediaType;
import dev.spgateway.policy.PolicyRequest;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.proxy.UpstreamConfig;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a {@code $batch} sub-request by sub-request, each as if it were sent alone, with the same
 * {@link RoutePolicy} that judges plain requests. The batch is allowed only when every sub-request is, and all act
 * as one service principal (a batch travels with one token). Immutable; built once at start.
 *
 * <p>Refusals: a target that names {@code $batch} in any but the exact form, a body that cannot be read one way
 * only, or a sub-request whose URL is not canonical → 400 {@code bad-batch}; a body over
 * {@code batch.maxBodyBytes} → 413; a wrong Content-Type → 415; a denied sub-request, or sub-requests acting as
 * different service principals → 403 {@code batch-denied}. Every message names the sub-requests concerned.
 */
public final class BatchJudge {

  public static final String RULE_ID = "batch";

  private record Endpoint(UpstreamConfig.UpstreamKind kind, Set<String> origins) {}

  private final RoutePolicy policy;
  private final long maxBodyBytes;
  private final Map<String, Endpoint> upstreams;

  public BatchJudge(RoutePolicy policy, BatchConfig config, Map<String, UpstreamConfig> upstreams) {
    this.policy = policy;
    this.maxBodyBytes = config.maxBodyBytes();
    Map<String, Endpoint> endpoints = new HashMap<>();
    upstreams.forEach((name, upstream) -> endpoints.put(name, new Endpoint(upstream.kind(), origins(upstream))));
    this.upstreams = Map.copyOf(endpoints);
  }

  /**
   * Whether this request is for this judge rather than the plain policy: its upstream is known and its path
   * names {@code $batch} in any spelling. Such a request is never judged as a plain one.
   */
  public boolean isBatch(String upstream, String target) {
    return upstreams.containsKey(upstream) && BatchTarget.mentionsBatch(target);
  }

  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * What can be decided before the body is read: the endpoint's exact form, the Content-Type and the declared
   * length ({@code -1} when unknown). {@code null} means: read the body, up to {@link #maxBodyBytes()}, and
   * {@link #judge} it.
   */
  public Decision.Deny beforeBody(String upstream, String method, String target, String contentType,
      long declaredLength) {
    try {
      BatchTarget batch = BatchTarget.of(upstreams.get(upstream).kind(), method, target);
      MediaType type = contentType == null ? null : MediaType.parse(contentType);
      if (batch.format() == BatchTarget.Format.GRAPH_JSON) {
        String charset = type == null ? null : type.parameter("charset");
        if (type == null || !type.type().equals("application/json")
            || charset != null && !charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
          return new Decision.Deny(Decision.Refusal.UNSUPPORTED_MEDIA_TYPE,
              "a Graph batch is sent as Content-Type: application/json, in UTF-8");
        }
        type.onlyParameters(Set.of("charset"), "the Content-Type of a Graph batch");
      } else if (type == null || !type.type().equals("multipart/mixed")) {
        return new Decision.Deny(Decision.Refusal.UNSUPPORTED_MEDIA_TYPE,
            "a Dataverse batch is sent as Content-Type: multipart/mixed; boundary=batch_ID");
      } else {
        MultipartBatchParser.boundary(contentType, "the Content-Type");
      }
    } catch (BatchException | MediaType.Malformed e) {
      return new Decision.Deny(Decision.Refusal.BAD_BATCH, e.getMessage());
    }
    return declaredLength > maxBodyBytes ? tooLarge() : null;
  }

  /**
   * The Content-Type to forward with an allowed batch: the value as judged, written in one form, so a looser parser
   * downstream reads the same boundary and charset.
   */
  public static String forwardedContentType(String contentType) {
    return MediaType.parse(contentType).toString();
  }

  /** The refusal of a body larger than {@link #maxBodyBytes()}. */
  public Decision.Deny tooLarge() {
    return new Decision.Deny(Decision.Refusal.BODY_TOO_LARGE, "a $batch body may be at most " + maxBodyBytes
        + " bytes (batch.maxBodyBytes); split the batch");
  }

  /**
   * Judges a whole batch: {@code target} is the path and query after {@code /{upstream}}, {@code body} the body
   * exactly as it will be forwarded. Never throws for bad input.
   */
  public Decision judge(String caller, String upstream, String method, String target, String contentType, Buffer body) {
    if (!upstreams.containsKey(upstream)) {
      return new Decision.Deny(Decision.Refusal.DENIED, "there is no upstream '" + upstream + "'");
    }
    Decision.Deny early = beforeBody(upstream, method, target, contentType, body.length());
    if (early != null) return early;
    try {
      BatchTarget batch = BatchTarget.of(upstreams.get(upstream).kind(), method, target);
      List<BatchPart> parts = batch.format() == BatchTarget.Format.GRAPH_JSON
          ? GraphBatchParser.parse(batch.apiPath(), body.getBytes())
          : MultipartBatchParser.parse(batch.apiPath(), upstreams.get(upstream).origins(), contentType, body.getBytes());
      return judge(caller, upstream, target, parts);
    } catch (BatchException e) {
      return new Decision.Deny(Decision.Refusal.BAD_BATCH, e.getMessage());
    }
  }

  private Decision judge(String caller, String upstream, String target, List<BatchPart> parts) {
    List<String> malformed = new ArrayList<>();
    List<String> denied = new ArrayList<>();
    List<Decision.SubRequest> allowed = new ArrayList<>();
    Map<String, List<String>> idsByServicePrincipal = new LinkedHashMap<>();
    for (BatchPart part : parts) {
      String id = "'" + part.id() + "'";
      if (BatchTarget.mentionsBatch(part.target())) {
        malformed.add(id + ": a $batch inside a batch is not accepted");
        continue;
      }
      if (part.target().indexOf('#') >= 0) {
        // The upstream would cut the fragment off and read a shorter path than the one judged.
        malformed.add(id + ": a URL inside a batch may not carry a fragment (#)");
        continue;
      }
      Decision decision = policy.decide(caller,
          new PolicyRequest(part.method(), upstream, part.target(), part.contentType(), part.contentLength()));
      if (decision instanceof Decision.Deny deny) {
        (deny.refusal() == Decision.Refusal.BAD_TARGET ? malformed : denied).add(id + ": " + deny.reason());
      } else if (decision instanceof Decision.Allow allow) {
        // The body is forwarded as sent, so what the upstream reads must be exactly what was judged.
        if (!allow.target().equals(part.target())) {
          malformed.add(id + ": write its URL in canonical form, " + allow.target());
          continue;
        }
        allowed.add(new Decision.SubRequest(part.id(), part.method(), path(allow.target()), allow.ruleId()));
        idsByServicePrincipal.computeIfAbsent(allow.servicePrincipal(), sp -> new ArrayList<>()).add(part.id());
      }
    }
    if (!malformed.isEmpty()) {
      return new Decision.Deny(Decision.Refusal.BAD_BATCH, "sub-requests that cannot be read one way only: "
          + String.join("; ", malformed));
    }
    if (!denied.isEmpty()) {
      return new Decision.Deny(Decision.Refusal.BATCH_DENIED, denied.size() + " of " + parts.size()
          + " sub-requests are denied, so none was sent: " + String.join("; ", denied));
    }
    if (idsByServicePrincipal.size() > 1) {
      StringBuilder who = new StringBuilder();
      idsByServicePrincipal.forEach((sp, ids) -> who.append(who.isEmpty() ? "" : "; ").append("as '").append(sp)
          .append("': ").append(String.join(", ", ids)));
      return new Decision.Deny(Decision.Refusal.BATCH_DENIED, "the sub-requests would act as different service"
          + " principals (" + who + "), but a batch is sent with one token; send one batch per service principal");
    }
    String servicePrincipal = idsByServicePrincipal.keySet().iterator().next();
    return new Decision.Allow(RULE_ID, upstream, servicePrincipal, target, List.of(), allowed);
  }

  /** Where absolute sub-request URLs may point: the upstream's own URL, and its {@code resource} (the real API). */
  private static Set<String> origins(UpstreamConfig upstream) {
    URI url = upstream.url();
    URI resource = URI.create(upstream.effectiveResource());
    return Set.copyOf(List.of(MultipartBatchParser.origin(url.getScheme(), url.getHost(), url.getPort()),
        MultipartBatchParser.origin(resource.getScheme(), resource.getHost(), resource.getPort())));
  }

  private static String path(String target) {
    int question = target.indexOf('?');
    return question < 0 ? target : target.substring(0, question);
  }
}
