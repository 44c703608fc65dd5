package dev.spgateway.gateway;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running gateway on its config file: {@link #reload} (on SIGHUP, or when the file changes) reads and
 * checks the file on a worker, and hands a changed, valid config to {@link Gateway#reload}. A file that fails its
 * checks, or a change only a restart can make, is refused with one log line and the config in force stays.
 *
 * <p>The watch is on the file's directory, not the file: editors replace files, and a Kubernetes ConfigMap
 * volume swaps a {@code ..data} symlink to a new timestamped directory, leaving the file's own symlink alone.
 * Events for the file's name or a {@code ..}-name start a short quiet period (several arrive for one change);
 * then the file is read, and only a content hash different from the one in force goes further.
 */
public final class LiveConfig {

  /** {@code gateway_config_reloads_total{outcome}}. */
  public static final String RELOADS_METER = "gateway.config.reloads";
  public static final String SIGNAL = "signal";
  public static final String FILE_CHANGE = "file-change";
  /** Several events arrive for one change (a ConfigMap swap makes four): wait this long after the last. */
  static final long QUIET_MILLIS = 300;

  /** How a reload ended; the {@code outcome} tag. */
  public enum Outcome {
    APPLIED("applied"), UNCHANGED("unchanged"), INVALID("invalid"), RESTART_REQUIRED(Gateway.ReloadRefused.RESTART_REQUIRED),
    FAILED(Gateway.ReloadRefused.FAILED);

    private final String tag;

    Outcome(String tag) {
      this.tag = tag;
    }

    public String tag() {
      return tag;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(LiveConfig.class);

  private final Gateway gateway;
  private final Path file;
  private final ConfigLoader loader;
  /** Reloads run here, one after another. */
  private final Context context;
  private final Map<Outcome, Counter> counters = new LinkedHashMap<>();
  private final WatchService watcher;
  /** Touched only on {@link #context}. */
  private String sha256;
  private Future<Outcome> last = Future.succeededFuture(Outcome.UNCHANGED);
  private long quietTimer = -1;

  private LiveConfig(Gateway gateway, Path file, ConfigLoader loader, String sha256, WatchService watcher) {
    this.gateway = gateway;
    this.file = file;
    this.loader = loader;
    this.sha256 = sha256;
    this.watcher = watcher;
    this.context = gateway.vertx().getOrCreateContext();
    MeterRegistry registry = gateway.registry();
    for (Outcome outcome : Outcome.values()) {
      counters.put(outcome, Counter.builder(RELOADS_METER)
          .description("Config reloads (SIGHUP or a changed file), by outcome").tag("outcome", outcome.tag())
          .register(registry));
    }
  }

  /**
   * Starts keeping {@code gateway} on {@code file}, which it was started with (its hash {@code sha256}); with
   * {@code watch}, changes to the file are picked up too, otherwise only {@link #reload} calls (SIGHUP). Call it
   * off the event loop: it registers a directory watch.
   */
  public static LiveConfig start(Gateway gateway, Path file, ConfigLoader loader, String sha256, boolean watch)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    WatchService watcher = watch ? FileSystems.getDefault().newWatchService() : null;
    LiveConfig live = new LiveConfig(gateway, file, loader, sha256, watcher);
    if (watcher != null) {
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
      Thread thread = new Thread(() -> live.watch(file.getFileName().toString()), "config-watch");
      thread.setDaemon(true);
      thread.start();
    }
    return live;
  }

  /**
   * Reads the file and puts it in force if it changed, is valid and can apply live. Safe from any thread (a
   * signal handler's); reloads run one after another. Never fails: the outcome says what happened.
   */
  public Future<Outcome> reload(String trigger) {
    Promise<Outcome> done = Promise.promise();
    context.runOnContext(v -> {
      last = last.transform(previous -> attempt(trigger));
      last.onComplete(done);
    });
    return done.future();
  }

  public void close() {
    if (watcher == null) return;
    try {
      watcher.close();
    } catch (IOException e) {
      LOG.debug("closing the config watch failed", e);
    }
  }

  private Future<Outcome> attempt(String trigger) {
    return context.executeBlocking(() -> loader.loadFile(file), false)
        .compose(loaded -> {
          if (loaded.sha256().equals(sha256)) {
            LOG.debug("config {} re-read ({}): unchanged", file, trigger);
            return Future.succeededFuture(Outcome.UNCHANGED);
          }
          return gateway.reload(loaded.config(), loaded.sha256(), trigger).map(summary -> {
            sha256 = loaded.sha256();
            LOG.info("Config {} reloaded ({}), sha256 {}: {}", file, trigger, loaded.sha256(), summary);
            return Outcome.APPLIED;
          });
        })
        .recover(failure -> {
          Outcome outcome = failure instanceof ConfigException ? Outcome.INVALID
              : failure instanceof Gateway.ReloadRefused refused && refused.outcome().equals(Outcome.RESTART_REQUIRED.tag())
                  ? Outcome.RESTART_REQUIRED : Outcome.FAILED;
          // The same words as at start (they name the file), on one line; the config in force stays.
          String why = String.valueOf(failure.getMessage()).replace("\n  - ", "; ");
          LOG.warn("Config reload ({}) refused, the running config stays in force: {}", trigger,
              failure instanceof ConfigException ? why : file + ": " + why);
          return Future.succeededFuture(outcome);
        })
        .onSuccess(outcome -> counters.get(outcome).increment());
  }

  /** The watch thread: any event for the file, or for Kubernetes' {@code ..data} swap, starts the quiet period. */
  private void watch(String fileName) {
    try {
      while (true) {
        WatchKey key = watcher.take();
        List<WatchEvent<?>> events = key.pollEvents();
        boolean relevant = events.stream().anyMatch(event -> event.kind() == StandardWatchEventKinds.OVERFLOW
            || event.context() instanceof Path name
                && (name.toString().equals(fileName) || name.toString().startsWith("..")));
        key.reset();
        if (relevant) context.runOnContext(v -> changed());
      }
    } catch (ClosedWatchServiceException | InterruptedException stopped) {
      // close(): the gateway is stopping
    }
  }

  private void changed() {
    if (quietTimer >= 0) gateway.vertx().cancelTimer(quietTimer);
    quietTimer = gateway.vertx().setTimer(QUIET_MILLIS, id -> {
      quietTimer = -1;
      reload(FILE_CHANGE);
    });
  }
}
