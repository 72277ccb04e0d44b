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
    Duration homeIdleTimeout) {

  public static TopicSettings from(Config config) {
    int workers = config.getInt("fanout-workers");
    return new TopicSettings(
        config.getInt("max-length"),
        config.getInt("fanout-parallel-threshold"),
        workers > 0 ? workers : Runtime.getRuntime().availableProcessors(),
        config.getInt("home.max-delivery-batch"),
        config.getDuration("home.recovery-timeout"),
        config.getInt("home.recovery-buffer"),
        config.getDuration("home.idle-timeout"));
  }
}
