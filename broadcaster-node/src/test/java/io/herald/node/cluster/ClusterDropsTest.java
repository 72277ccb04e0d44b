package io.herald.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ClusterDropsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * Two nodes over real Artery on loopback, the sender's queue to the other made tiny: a
   * burst overflows it, and what Artery drops is counted. Fails should a Pekko upgrade word
   * the reason differently.
   */
  @Test
  void aBurstThatOverflowsArterysSendQueueToAnotherNodeIsCounted() {
    Config remote = onLoopback("remote", "pekko.remote.artery.advanced.outbound-message-queue-size = 16");
    ActorTestKit sender = ActorTestKit.create("sender", remote);
    ActorTestKit receiver = ActorTestKit.create("receiver", remote);
    try {
      NodeMetrics metrics = new NodeMetrics();
      sender.spawn(ClusterDrops.create(metrics, Set.of()));
      TestProbe<String> far = receiver.createTestProbe();
      ActorRef<String> farFromSender = ActorRefResolver.get(sender.system())
          .resolveActorRef(ActorRefResolver.get(receiver.system()).toSerializationFormat(far.getRef()));
      TestProbe<Object> waiter = sender.createTestProbe();
      waiter.awaitAssert(Duration.ofSeconds(10), () -> {
        for (int i = 0; i < 10_000; i++) {
          farFromSender.tell("burst " + i);
        }
        assertTrue(metrics.snapshot().get("drops.cluster_send_queue") > 0);
        return null;
      });
    } finally {
      sender.shutdownTestKit();
      receiver.shutdownTestKit();
    }
  }

  /**
   * A cluster member that has not joined yet knows no home for any shard: its region buffers
   * what it is sent, up to its buffer size (at least 10: Pekko divides it by 10), and drops
   * the rest. Fails should a Pekko upgrade drop them another way.
   */
  @Test
  void messagesAFullShardRegionBufferDropsAreCounted() {
    ActorTestKit member = ActorTestKit.create("unjoined", onLoopback("cluster", """
        pekko.cluster.sharding.buffer-size = 20
        # a region that never had a coordinator has nothing to hand off
        pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 100ms
        """));
    try {
      NodeMetrics metrics = new NodeMetrics();
      member.spawn(ClusterDrops.create(metrics, Set.of("things")));
      EntityTypeKey<String> type = EntityTypeKey.create(String.class, "things");
      ClusterSharding sharding = ClusterSharding.get(member.system());
      sharding.init(Entity.of(type, entity -> Behaviors.empty()));
      TestProbe<Object> waiter = member.createTestProbe();
      waiter.awaitAssert(Duration.ofSeconds(10), () -> {
        // Until the listener has subscribed, drops pass it unseen: send until some are counted.
        for (int i = 0; i < 30; i++) {
          sharding.entityRefFor(type, "thing-" + i).tell("hello");
        }
        assertTrue(metrics.snapshot().get("drops.shard_buffer") > 0);
        return null;
      });
      waiter.expectNoMessage(Duration.ofMillis(300)); // the last of those counted too
      long counted = metrics.snapshot().get("drops.shard_buffer");
      for (int i = 0; i < 10; i++) {
        sharding.entityRefFor(type, "thing-" + i).tell("hello again");
      }
      waiter.awaitAssert(() -> {
        assertEquals(counted + 10, metrics.snapshot().get("drops.shard_buffer"), "the buffer was full already");
        return null;
      });
    } finally {
      member.shutdownTestKit();
    }
  }

  /**
   * What the transport still held for a node it cut off (crashed, then removed) ends as a
   * dead letter addressed to that node's actor: counted, unlike a local actor's.
   */
  @Test
  void deadLettersForAnotherNodesActorsAreCountedAsNodeGone() {
    ActorTestKit member = ActorTestKit.create("survivor", onLoopback("cluster", ""));
    try {
      NodeMetrics metrics = new NodeMetrics();
      member.spawn(ClusterDrops.create(metrics, Set.of()));
      var onTheCrashedNode = Adapter.toClassic(ActorRefResolver.get(member.system())
          .<Object>resolveActorRef("pekko://survivor@127.0.0.1:9/user/topics"));
      var local = Adapter.toClassic(member.createTestProbe().getRef());
      var nobody = Adapter.toClassic(member.system().deadLetters());
      TestProbe<Object> waiter = member.createTestProbe();
      waiter.awaitAssert(Duration.ofSeconds(10), () -> {
        // Until the listener has subscribed, events pass it unseen: publish until one is counted.
        member.system().eventStream().tell(new EventStream.Publish<>(
            new DeadLetter("a delivery", nobody, onTheCrashedNode)));
        assertTrue(metrics.snapshot().get("drops.node_gone") > 0);
        return null;
      });
      waiter.expectNoMessage(Duration.ofMillis(300)); // the last of those counted too
      long counted = metrics.snapshot().get("drops.node_gone");
      member.system().eventStream().tell(new EventStream.Publish<>(new DeadLetter("a command", nobody, local)));
      member.system().eventStream().tell(new EventStream.Publish<>(
          new DeadLetter("a publish", nobody, onTheCrashedNode)));
      waiter.awaitAssert(() -> {
        assertEquals(counted + 1, metrics.snapshot().get("drops.node_gone"), "a local actor's dead letter is not");
        return null;
      });
    } finally {
      member.shutdownTestKit();
    }
  }

  @Test
  void eachDropReasonOfTheClusterLayersIsCountedAndOtherDropsAreNot() {
    NodeMetrics metrics = new NodeMetrics();
    testKit.spawn(ClusterDrops.create(metrics, Set.of("device")));
    TestProbe<Object> waiter = testKit.createTestProbe();
    var nobody = Adapter.toClassic(testKit.system().deadLetters());
    var region = shardingChild("device");
    // The sharding replicator's gossip to a node that crashed goes to dead letters too.
    var replicator = shardingChild("replicator");
    // The events Pekko publishes, in its words (pekko-remote's Association, pekko-cluster-sharding's
    // Shard and ShardRegion), when it drops a message.
    Dropped overflow = new Dropped("a batch", ClusterDrops.SEND_QUEUE_OVERFLOW + ", size [3072]", nobody, nobody);
    waiter.awaitAssert(() -> {
      // Until the listener has subscribed, events pass it unseen: publish until one is counted.
      publish(overflow);
      assertTrue(metrics.snapshot().get("drops.cluster_send_queue") > 0);
      return null;
    });
    waiter.expectNoMessage(Duration.ofMillis(300)); // the last of those counted too
    long counted = metrics.snapshot().get("drops.cluster_send_queue");
    publish(new Dropped("a command", "Stash buffer is full", nobody, nobody));
    publish(new DeadLetter("a report", nobody, nobody));
    publish(new DeadLetter("a report", region, nobody));
    publish(new DeadLetter("gossip", replicator, nobody));
    publish(overflow);
    publish(new Dropped("a report", "Buffer for [device-7] is full", nobody, nobody));
    publish(new Dropped("a report", ClusterDrops.HAND_OFF_REORDERING, nobody, nobody));
    publish(new Dropped("a batch", ClusterDrops.HAND_OFF_REORDERING, nobody, nobody));
    waiter.awaitAssert(() -> {
      assertEquals(counted + 1, metrics.snapshot().get("drops.cluster_send_queue"));
      assertEquals(2, metrics.snapshot().get("drops.shard_buffer"), "a dead letter not from a region is not");
      assertEquals(2, metrics.snapshot().get("drops.shard_hand_off"));
      return null;
    });
  }

  /** Artery on a free loopback port, with {@code provider} and {@code more} settings, dead letters not logged. */
  private static Config onLoopback(String provider, String more) {
    return ConfigFactory.parseString(more + """

        pekko.actor.provider = %s
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.log-dead-letters = off
        """.formatted(provider));
  }

  /** An actor (there or not) at {@code /system/sharding/<name>}, where regions and the replicator live. */
  private static org.apache.pekko.actor.ActorRef shardingChild(String name) {
    String path = "pekko://" + testKit.system().name() + "/system/sharding/" + name;
    return Adapter.toClassic(ActorRefResolver.get(testKit.system()).<Object>resolveActorRef(path));
  }

  private static void publish(Object event) {
    testKit.system().eventStream().tell(new EventStream.Publish<>(event));
  }
}
