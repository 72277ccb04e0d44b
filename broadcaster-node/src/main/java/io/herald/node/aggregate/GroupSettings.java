package io.herald.node.aggregate;

import com.typesafe.config.Config;
import java.time.Duration;

/** How often a group publishes its aggregates, and how long a member query waits. */
public record GroupSettings(Duration snapshotInterval, Duration queryTimeout) {

  public static GroupSettings from(Config config) {
    return new GroupSettings(config.getDuration("snapshot-interval"), config.getDuration("query-timeout"));
  }
}
