package io.herald.node.aggregate;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How often a group publishes its aggregates, how long a member query waits and how many
 * members a page of it holds, how a node gathers its devices' changes for their groups
 * and makes sure they arrive (see {@link GroupFeed}), how fast its devices tell their
 * groups again after another node crashed (see {@link GroupRebuild}), and how long its
 * groups wait for the members lost with that node before they forget them.
 */
public record GroupSettings(Duration snapshotInterval, Duration queryTimeout, int queryPageSize,
    Duration feedInterval, int feedMaxValues, Duration feedResendAfter, int feedMaxUnconfirmed, int rebuildRate,
    Duration rebuildAfter, Duration forgetLostAfter) {

  /** A page of ids (up to 128 characters each) stays well below Artery's 256 KiB frame. */
  public static final int MAX_QUERY_PAGE_SIZE = 1000;

  public GroupSettings {
    if (queryPageSize < 1 || queryPageSize > MAX_QUERY_PAGE_SIZE) {
      throw new IllegalArgumentException(
          "herald.group.query-page-size must be 1 to " + MAX_QUERY_PAGE_SIZE + ", not " + queryPageSize);
    }
    if (forgetLostAfter.isNegative() || forgetLostAfter.isZero()) {
      throw new IllegalArgumentException("herald.group.forget-lost-after must be positive, not " + forgetLostAfter);
    }
    if (feedResendAfter.isNegative() || feedResendAfter.isZero()) {
      throw new IllegalArgumentException("herald.group.feed-resend-after must be positive, not " + feedResendAfter);
    }
    if (feedMaxUnconfirmed < feedMaxValues) {
      throw new IllegalArgumentException("herald.group.feed-max-unconfirmed must be at least feed-max-values ("
          + feedMaxValues + "), not " + feedMaxUnconfirmed);
    }
    if (rebuildRate < 1) {
      throw new IllegalArgumentException("herald.group.rebuild-rate must be at least 1, not " + rebuildRate);
    }
  }

  public static GroupSettings from(Config config) {
    return new GroupSettings(config.getDuration("snapshot-interval"), config.getDuration("query-timeout"),
        config.getInt("query-page-size"), config.getDuration("feed-interval"), config.getInt("feed-max-values"),
        config.getDuration("feed-resend-after"), config.getInt("feed-max-unconfirmed"), config.getInt("rebuild-rate"),
        config.getDuration("rebuild-after"), config.getDuration("forget-lost-after"));
  }
}
