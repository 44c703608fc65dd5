package dev.spgateway.gateway;

import dev.spgateway.policy.Decision;
import dev.spgateway.policy.PolicyRequest;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.policy.batch.BatchJudge;
import io.vertx.core.buffer.Buffer;

/**
 * How a request line and its body are judged, written once: {@link Pipeline} ({@code serve}) and {@code check}
 * both call it, so {@code check} says exactly what {@code serve} would do. The method and target are taken as the
 * caller sent them, never tidied ({@code get} is not {@code GET}).
 */
public final class RequestJudge {

  /** The gateway URL's parts: {@code /{upstream}{rest}}, {@code rest} being the path and query as received. */
  public record Target(String upstream, String rest) {}

  private final RoutePolicy policy;
  private final BatchJudge batches;

  public RequestJudge(RoutePolicy policy, BatchJudge batches) {
    this.policy = policy;
    this.batches = batches;
  }

  /** Which upstream? The public URL shape is {@code /{upstream}/{path}?{query}}; the policy judges the rest. */
  public static Target target(String uri) {
    if (!uri.startsWith("/")) throw new Rejection(400, "bad-target", "send an origin-form target: /{upstream}/{path}");
    int slash = uri.indexOf('/', 1);
    if (slash < 0) throw new Rejection(404, "no-upstream-path", "name an upstream and a path: /{upstream}/{path}");
    return new Target(uri.substring(1, slash), uri.substring(slash));
  }

  /** Whether the body must be read and judged sub-request by sub-request ({@link #beforeBody}, {@link #judgeBatch}). */
  public boolean isBatch(Target target) {
    return batches.isBatch(target.upstream(), target.rest());
  }

  /** A request that is not a batch: judged before its body is read. */
  public Decision decide(String caller, String method, Target target, String contentType, long declaredLength) {
    return policy.decide(caller, new PolicyRequest(method, target.upstream(), target.rest(), contentType,
        declaredLength));
  }

  /** A batch's refusal before its body is read, or {@code null}: read up to {@link #maxBodyBytes()} and judge it. */
  public Decision.Deny beforeBody(String method, Target target, String contentType, long declaredLength) {
    return batches.beforeBody(target.upstream(), method, target.rest(), contentType, declaredLength);
  }

  public Decision judgeBatch(String caller, String method, Target target, String contentType, Buffer body) {
    return batches.judge(caller, target.upstream(), method, target.rest(), contentType, body);
  }

  public long maxBodyBytes() {
    return batches.maxBodyBytes();
  }

  public Decision.Deny tooLarge() {
    return batches.tooLarge();
  }
}
