package io.herald.node.api;

import com.typesafe.config.Config;
import java.time.Duration;

/** Limits and timeouts of the backend HTTP API. */
public record ApiSettings(Duration publishTimeout, long maxBodyBytes, int maxBroadcastTopics, int maxBatchDevices,
    Duration retryAfter, int maxRequestsInFlight) {

  public static ApiSettings from(Config config) {
    return new ApiSettings(
        config.getDuration("publish-timeout"),
        config.getBytes("max-body-bytes"),
        config.getInt("max-broadcast-topics"),
        config.getInt("max-batch-devices"),
        config.getDuration("retry-after"),
        config.getInt("max-requests-in-flight"));
  }
}
