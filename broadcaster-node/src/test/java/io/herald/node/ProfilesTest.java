package io.herald.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every profile of cluster-config loads, resolves and says what it promises. */
class ProfilesTest {

  @ParameterizedTest
  @ValueSource(strings = {"single", "local-cluster", "kubernetes"})
  void everyProfileResolvesIntoNodeSettingsWithShardingAndManagement(String profile) {
    Config config = Main.loadConfig(profile);
    NodeSettings.from(config);
    assertEquals(1000, config.getInt("pekko.cluster.sharding.number-of-shards"));
    assertEquals("none", config.getString("pekko.cluster.sharding.passivation.strategy"));
    assertEquals(List.of("device", "group", "topic"),
        config.getStringList("pekko.cluster.sharding.healthcheck.names"));
    assertEquals("io.herald.node.ops.EdgeReadinessCheck",
        config.getString("pekko.management.health-checks.readiness-checks.herald-edge"));
  }

  @Test
  void singleJoinsItselfWithoutASplitBrainResolver() {
    Config config = Main.loadConfig("single");
    assertTrue(config.getBoolean("herald.cluster.join-self"));
    assertEquals("", config.getString("pekko.cluster.downing-provider-class"));
    assertEquals("127.0.0.1", config.getString("pekko.management.http.hostname"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local-cluster", "kubernetes"})
  void multiNodeProfilesKeepTheMajorityAfterAPartition(String profile) {
    Config config = Main.loadConfig(profile);
    assertFalse(config.getBoolean("herald.cluster.join-self"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        config.getString("pekko.cluster.downing-provider-class"));
    assertEquals("keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertTrue(config.getInt("pekko.remote.artery.advanced.outbound-message-queue-size")
            >= config.getInt("pekko.cluster.sharding.buffer-size"),
        "a region can hand another node a full buffer at once without the transport dropping any of it");
  }

  @Test
  void localClusterSeedsOnLoopbackAndKubernetesBootstrapsThroughTheApi() {
    assertEquals(3, Main.loadConfig("local-cluster").getStringList("pekko.cluster.seed-nodes").size());
    Config kubernetes = Main.loadConfig("kubernetes");
    assertTrue(kubernetes.getBoolean("herald.cluster.bootstrap"));
    assertEquals("kubernetes-api",
        kubernetes.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
  }

  @Test
  void anUnknownProfileIsRefusedByName() {
    assertThrows(IllegalArgumentException.class, () -> Main.loadConfig("galaxy"));
  }
}
