package io.herald.node.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How a node finds its cluster, and how it collects the other members' numbers when it shows
 * the whole cluster: how long it waits for each, and how long a collection answers requests.
 */
public record ClusterSettings(boolean joinSelf, boolean bootstrap, Duration statusTimeout, Duration statusMaxAge) {

  public static ClusterSettings from(Config config) {
    Duration statusTimeout = config.getDuration("status-timeout");
    if (statusTimeout.isNegative() || statusTimeout.isZero()) {
      throw new IllegalArgumentException("herald.cluster.status-timeout must be positive, not " + statusTimeout);
    }
    Duration statusMaxAge = config.getDuration("status-max-age");
    if (statusMaxAge.isNegative()) {
      throw new IllegalArgumentException("herald.cluster.status-max-age must not be negative, not " + statusMaxAge);
    }
    return new ClusterSettings(config.getBoolean("join-self"), config.getBoolean("bootstrap"), statusTimeout,
        statusMaxAge);
  }
}
