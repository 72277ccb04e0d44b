package io.herald.node.topic;

import com.typesafe.config.Config;
import java.time.Duration;

/** Topic limits, how a hot topic fans out, and how a topic's cluster home behaves. */
public record TopicSettings(
    int maxLength,
    int fanoutParallelThreshold,
    int fanoutWorkers,
    int maxDeliveryBatch,
    Duration recoveryTimeout,
    int recoveryBuffer,
    Duration homeIdleTimeout,
    History history) {

  /**
   * What a topic's home keeps of its latest messages for devices that resume: per topic,
   * {@code size} messages and {@code maxBytes} of payload at most, none older than
   * {@code ttl}; all the topics homed on a node together at most {@code nodeMaxBytes}
   * ({@link HistoryBudget}).
   */
  public record History(int size, long maxBytes, Duration ttl, long nodeMaxBytes) {

    /** Keeps nothing: every resume misses what was published meanwhile. */
    public static final History NONE = new History(0, 0, Duration.ZERO, 0);

    /**
     * System topics ({@code $device/…}, {@code $group/…}) carry views whose latest
     * supersedes the ones before it, so they keep none.
     */
    boolean keptFor(String topic) {
      return size > 0 && maxBytes > 0 && !ttl.isZero() && nodeMaxBytes > 0 && !topic.startsWith("$");
    }
  }

  public static TopicSettings from(Config config) {
    int workers = config.getInt("fanout-workers");
    return new TopicSettings(
        config.getInt("max-length"),
        config.getInt("fanout-parallel-threshold"),
        workers > 0 ? workers : Runtime.getRuntime().availableProcessors(),
        config.getInt("home.max-delivery-batch"),
        config.getDuration("home.recovery-timeout"),
        config.getInt("home.recovery-buffer"),
        config.getDuration("home.idle-timeout"),
        new History(
            config.getInt("history.size"),
            config.getBytes("history.max-bytes"),
            config.getDuration("history.ttl"),
            bytesOrShareOfHeap(config, "history.node-max-bytes", Runtime.getRuntime().maxMemory())));
  }

  /** A size ("256MiB") or a share of the heap the JVM may grow to ("20%"). */
  static long bytesOrShareOfHeap(Config config, String path, long maxHeapBytes) {
    String value = config.getString(path).trim();
    if (!value.endsWith("%")) {
      return config.getBytes(path);
    }
    double percent;
    try {
      percent = Double.parseDouble(value.substring(0, value.length() - 1).trim());
    } catch (NumberFormatException notANumber) {
      throw new IllegalArgumentException(path + " must be a size or a percentage of the heap, not " + value);
    }
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException(path + " must be between 0% and 100% of the heap, not " + value);
    }
    return (long) (maxHeapBytes * percent / 100);
  }
}
