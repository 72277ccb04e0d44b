package io.herald.node.connection;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/**
 * How the node treats each device connection: queues, limits, heartbeats, timeouts.
 * {@code acceptRate} is new connections a second, 0 for no limit.
 */
public record ConnectionSettings(
    int outboundQueueSize,
    SlowConsumerPolicy slowConsumerPolicy,
    int maxBatchMessages,
    int maxBatchBytes,
    Duration closeTimeout,
    int maxFrameBytes,
    int maxSubscriptions,
    int maxConnections,
    int acceptRate,
    int acceptBurst,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    int publishRate,
    int publishBurst,
    int maxProtocolErrors,
    Duration reportTimeout,
    Duration reportResendAfter) {

  public ConnectionSettings {
    if (outboundQueueSize < 1 || maxBatchMessages < 1 || maxFrameBytes < 1 || maxConnections < 1) {
      throw new IllegalArgumentException("queue sizes and limits must be positive");
    }
    if (acceptRate < 0 || acceptBurst < 1) {
      throw new IllegalArgumentException(
          "herald.connection.accept-rate must be 0 (no limit) or more, and accept-burst at least 1");
    }
    if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
      throw new IllegalArgumentException("herald.connection.heartbeat-timeout must exceed heartbeat-interval");
    }
    if (reportTimeout.isNegative() || reportTimeout.isZero()) {
      throw new IllegalArgumentException("herald.connection.report-timeout must be positive");
    }
    if (reportResendAfter.isNegative() || reportResendAfter.isZero() || reportResendAfter.compareTo(reportTimeout) >= 0) {
      throw new IllegalArgumentException(
          "herald.connection.report-resend-after must be positive and shorter than report-timeout");
    }
  }

  public static ConnectionSettings from(Config config) {
    return new ConnectionSettings(
        config.getInt("outbound-queue-size"),
        SlowConsumerPolicy.valueOf(config.getString("slow-consumer-policy").toUpperCase(Locale.ROOT).replace('-', '_')),
        config.getInt("max-batch-messages"),
        config.getBytes("max-batch-bytes").intValue(),
        config.getDuration("close-timeout"),
        config.getBytes("max-frame-bytes").intValue(),
        config.getInt("max-subscriptions"),
        config.getInt("max-connections"),
        config.getInt("accept-rate"),
        config.getInt("accept-burst"),
        config.getDuration("heartbeat-interval"),
        config.getDuration("heartbeat-timeout"),
        config.getInt("publish-rate"),
        config.getInt("publish-burst"),
        config.getInt("max-protocol-errors"),
        config.getDuration("report-timeout"),
        config.getDuration("report-resend-after"));
  }
}
