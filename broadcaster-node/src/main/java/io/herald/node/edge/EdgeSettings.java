package io.herald.node.edge;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/** Which server carries device WebSockets, and how the Netty one is set up. */
public record EdgeSettings(
    Transport transport,
    int nettyPort,
    int threads,
    int writeBufferLowWaterMark,
    int writeBufferHighWaterMark,
    int maxHeaderBytes,
    Duration handshakeTimeout,
    boolean nativeTransport) {

  public enum Transport {
    /** A lean Netty server on its own port. */
    NETTY,
    /** Pekko HTTP, on the API port. */
    PEKKO_HTTP
  }

  /** Reads {@code herald.edge} and the {@code herald.netty} block. */
  public static EdgeSettings from(Config herald) {
    String edge = herald.getString("edge");
    Transport transport = switch (edge.toLowerCase(Locale.ROOT)) {
      case "netty" -> Transport.NETTY;
      case "pekko-http" -> Transport.PEKKO_HTTP;
      default -> throw new IllegalArgumentException("herald.edge must be netty or pekko-http, not " + edge);
    };
    Config netty = herald.getConfig("netty");
    int low = (int) netty.getBytes("write-buffer-low-water-mark").longValue();
    int high = (int) netty.getBytes("write-buffer-high-water-mark").longValue();
    if (low > high) {
      throw new IllegalArgumentException("herald.netty.write-buffer-low-water-mark must not exceed the high one");
    }
    return new EdgeSettings(
        transport,
        netty.getInt("port"),
        netty.getInt("threads") > 0 ? netty.getInt("threads") : Runtime.getRuntime().availableProcessors(),
        low,
        high,
        (int) netty.getBytes("max-header-bytes").longValue(),
        netty.getDuration("handshake-timeout"),
        netty.getBoolean("native-transport"));
  }
}
