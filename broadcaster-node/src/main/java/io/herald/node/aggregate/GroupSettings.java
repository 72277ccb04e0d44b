package io.herald.node.aggregate;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How often a group publishes its aggregates, how long a member query waits, and how a
 * node gathers its devices' changes for their groups (see {@link GroupFeed}).
 */
public record GroupSettings(Duration snapshotInterval, Duration queryTimeout, Duration feedInterval,
    int feedMaxValues) {

  public static GroupSettings from(Config config) {
    return new GroupSettings(config.getDuration("snapshot-interval"), config.getDuration("query-timeout"),
        config.getDuration("feed-interval"), config.getInt("feed-max-values"));
  }
}
