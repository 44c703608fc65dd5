package dev.spgateway.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process and its JVM, for /metrics: heap and non-heap memory, GC pauses, threads, classes, CPU, open file
 * descriptors, uptime (Micrometer's binders), and the resident set size the kernel reports.
 */
public final class JvmMetrics {

  private static final Path STATUS = Path.of("/proc/self/status");

  private JvmMetrics() {}

  /** Binds them; close the result when the gateway stops (the GC binder listens to JMX notifications). */
  public static AutoCloseable bind(MeterRegistry registry) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    if (Files.isReadable(STATUS)) {
      // What a container's memory limit counts, heap or not: the figure to size limits by.
      Gauge.builder("process.resident.memory", JvmMetrics::residentBytes).baseUnit("bytes")
          .description("Resident set size of the process (VmRSS in /proc/self/status)").register(registry);
    }
    return gc;
  }

  /** VmRSS, a few hundred bytes of procfs read at scrape time; NaN if it cannot be read. */
  static double residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
      }
    } catch (IOException | NumberFormatException e) {
      // reported as NaN
    }
    return Double.NaN;
  }
}
