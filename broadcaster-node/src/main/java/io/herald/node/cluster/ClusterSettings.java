package io.herald.node.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How a node finds its cluster, and how long it waits for the other members' numbers when it
 * shows the whole cluster.
 */
public record ClusterSettings(boolean joinSelf, boolean bootstrap, Duration statusTimeout) {

  public static ClusterSettings from(Config config) {
    Duration statusTimeout = config.getDuration("status-timeout");
    if (statusTimeout.isNegative() || statusTimeout.isZero()) {
      throw new IllegalArgumentException("herald.cluster.status-timeout must be positive, not " + statusTimeout);
    }
    return new ClusterSettings(config.getBoolean("join-self"), config.getBoolean("bootstrap"), statusTimeout);
  }
}
