package io.herald.node.cluster;

import com.typesafe.config.Config;

/** How a node finds its cluster. */
public record ClusterSettings(boolean joinSelf, boolean bootstrap) {

  public static ClusterSettings from(Config config) {
    return new ClusterSettings(config.getBoolean("join-self"), config.getBoolean("bootstrap"));
  }
}
