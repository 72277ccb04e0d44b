package io.herald.node.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.ClusterNode;
import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.NodeStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClusterStatusViewTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final AtomicInteger questionsAnswered = new AtomicInteger();

  /** One member, this node, whose status service counts the questions it answers. */
  @BeforeAll
  static void startTheStatusService() {
    testKit.spawn(NodeStatusService.create(() -> {
      questionsAnswered.incrementAndGet();
      return answer(2551, "a");
    }));
    TestProbe<Receptionist.Listing> listing = testKit.createTestProbe();
    listing.awaitAssert(Duration.ofSeconds(5), () -> {
      testKit.system().receptionist().tell(Receptionist.find(NodeStatusService.SERVICE_KEY, listing.getRef()));
      assertFalse(listing.receiveMessage().getServiceInstances(NodeStatusService.SERVICE_KEY).isEmpty());
      return null;
    });
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ClusterMember member(int port) {
    return ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:" + port).setStatus("Up").build();
  }

  private static NodeStatus answer(int port, String nodeId) {
    return NodeStatus.newBuilder().setAddress("pekko://herald@127.0.0.1:" + port).setNodeId(nodeId).build();
  }

  /** A view of the one member, counting in {@code membersRead} the collections that start. */
  private static ClusterStatusView viewOfThisNode(AtomicInteger membersRead, Duration maxAge) {
    return new ClusterStatusView(testKit.system(), () -> {
      membersRead.incrementAndGet();
      return List.of(member(2551));
    }, Duration.ofSeconds(1), maxAge);
  }

  private static ClusterStatus collect(ClusterStatusView view) throws Exception {
    return view.current().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void everyMemberSeenInItsOrderWithTheAnswerGivenAtItsAddress() {
    ClusterStatus cluster = ClusterStatusView.combine(List.of(member(2551), member(2552), member(2553)),
        Map.of(answer(2553, "c").getAddress(), answer(2553, "c"), answer(2551, "a").getAddress(), answer(2551, "a"),
            // A node that answered but is no member in this node's view (removed since) is left out.
            answer(2554, "gone").getAddress(), answer(2554, "gone")));

    assertEquals(List.of(member(2551), member(2552), member(2553)),
        cluster.getNodesList().stream().map(ClusterNode::getMember).toList());
    assertEquals("a", cluster.getNodes(0).getStatus().getNodeId());
    assertFalse(cluster.getNodes(1).hasStatus(), "no answer, no numbers");
    assertEquals("c", cluster.getNodes(2).getStatus().getNodeId());
  }

  @Test
  void requestsWithinTheMaxAgeOfACollectionShareIt() throws Exception {
    AtomicInteger membersRead = new AtomicInteger();
    ClusterStatusView view = viewOfThisNode(membersRead, Duration.ofHours(1));
    int before = questionsAnswered.get();

    ClusterStatus first = collect(view);
    for (int request = 0; request < 10; request++) {
      assertEquals(first, collect(view));
    }

    assertEquals("a", first.getNodes(0).getStatus().getNodeId());
    assertEquals(1, membersRead.get());
    assertEquals(before + 1, questionsAnswered.get(), "the member was asked once");
  }

  @Test
  void withoutAMaxAgeEachRequestAfterACollectionAsksAgain() throws Exception {
    AtomicInteger membersRead = new AtomicInteger();
    ClusterStatusView view = viewOfThisNode(membersRead, Duration.ZERO);

    for (int request = 0; request < 3; request++) {
      assertEquals("a", collect(view).getNodes(0).getStatus().getNodeId());
    }

    assertEquals(3, membersRead.get());
  }
}
