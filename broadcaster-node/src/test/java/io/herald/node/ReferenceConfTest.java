package io.herald.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.herald.node.connection.ConnectionSettings;
import io.herald.node.device.DeviceSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReferenceConfTest {

  @Test
  void everyHeraldKeyIsDocumentedInReferenceConf() {
    Config reference = ConfigFactory.parseResources("reference.conf").getConfig("herald");
    List<String> undocumented = reference.entrySet().stream()
        .filter(entry -> entry.getValue().origin().comments().isEmpty())
        .map(Map.Entry::getKey)
        .sorted()
        .collect(Collectors.toList());
    assertEquals(List.of(), undocumented, "keys without a comment in reference.conf");
  }

  @Test
  void theDefaultProfileYieldsValidSettings() {
    NodeSettings settings = NodeSettings.from(Main.loadConfig("single"));
    assertEquals("127.0.0.1", settings.httpInterface());
    assertTrue(settings.drainTimeout().toMillis() > 0);
    assertTrue(Main.loadConfig("single").getBoolean("pekko.coordinated-shutdown.exit-jvm"),
        "a node process exits once coordinated shutdown is done");
  }

  @Test
  void devicesAreKeptForGoodUnlessForgetOfflineAfterIsSet() {
    Config device = Main.loadConfig("single").getConfig("herald.device");
    assertEquals(Optional.empty(), DeviceSettings.from(device).forgetOfflineAfter());
    assertEquals(Optional.of(Duration.ofDays(7)), DeviceSettings.from(
        ConfigFactory.parseString("forget-offline-after = 7d").withFallback(device)).forgetOfflineAfter());
    assertThrows(IllegalArgumentException.class, () -> DeviceSettings.from(
        ConfigFactory.parseString("forget-offline-after = 0s").withFallback(device)));
  }

  @Test
  void aShardBufferTooSmallForPekkoIsRefusedAtStartup() {
    Config tooSmall = ConfigFactory.parseString("pekko.cluster.sharding.buffer-size = 9")
        .withFallback(Main.loadConfig("single"));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> NodeSettings.from(tooSmall));
    assertEquals("pekko.cluster.sharding.buffer-size must be at least 10, not 9", refused.getMessage());
  }

  @Test
  void theAcceptRateIsOffByDefaultAndCannotBeNegative() {
    Config connection = Main.loadConfig("single").getConfig("herald.connection");
    assertEquals(0, ConnectionSettings.from(connection).acceptRate());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ConnectionSettings.from(
        ConfigFactory.parseString("accept-rate = -1").withFallback(connection)));
    assertTrue(refused.getMessage().contains("accept-rate"), refused.getMessage());
  }

  @Test
  void heraldsPekkoSettingsWinOverPekkosOwnDefaults() {
    Config loaded = Main.loadConfig("single");
    assertEquals("cluster", loaded.getString("pekko.actor.provider"));
    assertEquals(120, loaded.getDuration("pekko.http.server.idle-timeout").toSeconds());
    assertEquals(20000, loaded.getInt("pekko.http.server.max-connections"));
    assertEquals(0, loaded.getInt("pekko.remote.artery.canonical.port"), "a single node takes any free port");
  }
}
