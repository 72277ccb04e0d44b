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

  /** What a topic's home keeps of its latest messages for devices that resume. */
  public record History(int size, long maxBytes, Duration ttl) {

    /** Keeps nothing: every resume misses what was published meanwhile. */
    public static final History NONE = new History(0, 0, Duration.ZERO);

    /**
     * System topics ({@code $device/…}, {@code $group/…}) carry views whose latest
     * supersedes the ones before it, so they keep none.
     */
    boolean keptFor(String topic) {
      return size > 0 && maxBytes > 0 && !ttl.isZero() && !topic.startsWith("$");
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
            config.getDuration("history.ttl")));
  }
}
