package io.herald.node;

import com.typesafe.config.Config;
import io.herald.node.aggregate.GroupSettings;
import io.herald.node.api.ApiSettings;
import io.herald.node.cluster.ClusterSettings;
import io.herald.node.connection.ConnectionSettings;
import io.herald.node.device.DeviceSettings;
import io.herald.node.edge.EdgeSettings;
import io.herald.node.security.AuthSettings;
import io.herald.node.topic.TopicSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/** The node's settings, read once from the {@code herald} block of the configuration. */
public record NodeSettings(
    String nodeId,
    String httpInterface,
    int httpPort,
    EdgeSettings edge,
    ConnectionSettings connection,
    TopicSettings topic,
    DeviceSettings device,
    GroupSettings group,
    ApiSettings api,
    ClusterSettings cluster,
    AuthSettings auth,
    Duration drainTimeout,
    Duration drainPeriod,
    Duration reconnectAfter) {

  /**
   * The smallest {@code pekko.cluster.sharding.buffer-size}: a shard region divides it by 10
   * each time it buffers a message, so a smaller one fails the region at its first message
   * for a shard that has no home yet.
   */
  static final int MIN_SHARD_BUFFER_SIZE = 10;

  public static NodeSettings from(Config config) {
    int shardBuffer = config.getInt("pekko.cluster.sharding.buffer-size");
    if (shardBuffer < MIN_SHARD_BUFFER_SIZE) {
      throw new IllegalArgumentException("pekko.cluster.sharding.buffer-size must be at least "
          + MIN_SHARD_BUFFER_SIZE + ", not " + shardBuffer);
    }
    Config herald = config.getConfig("herald");
    String httpInterface = herald.getString("http.interface");
    int httpPort = herald.getInt("http.port");
    String nodeId = herald.getString("node-id");
    if (nodeId.isBlank()) {
      nodeId = hostName() + ":" + httpPort;
    }
    return new NodeSettings(
        nodeId,
        httpInterface,
        httpPort,
        EdgeSettings.from(herald),
        ConnectionSettings.from(herald.getConfig("connection")),
        TopicSettings.from(herald.getConfig("topic")),
        DeviceSettings.from(herald.getConfig("device")),
        GroupSettings.from(herald.getConfig("group")),
        ApiSettings.from(herald.getConfig("api")),
        ClusterSettings.from(herald.getConfig("cluster")),
        AuthSettings.from(herald.getConfig("auth")),
        herald.getDuration("shutdown.drain-timeout"),
        herald.getDuration("shutdown.drain-period"),
        herald.getDuration("shutdown.reconnect-after"));
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
