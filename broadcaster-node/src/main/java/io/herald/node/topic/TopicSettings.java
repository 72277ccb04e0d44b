package io.herald.node.topic;

import com.typesafe.config.Config;

/** Topic limits and how a hot topic fans out. */
public record TopicSettings(int maxLength, int fanoutParallelThreshold, int fanoutWorkers) {

  public static TopicSettings from(Config config) {
    int workers = config.getInt("fanout-workers");
    return new TopicSettings(
        config.getInt("max-length"),
        config.getInt("fanout-parallel-threshold"),
        workers > 0 ? workers : Runtime.getRuntime().availableProcessors());
  }
}
