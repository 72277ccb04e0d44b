package io.herald.node.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.ClusterNode;
import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.NodeStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterStatusViewTest {

  private static ClusterMember member(int port) {
    return ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:" + port).setStatus("Up").build();
  }

  private static NodeStatus answer(int port, String nodeId) {
    return NodeStatus.newBuilder().setAddress("pekko://herald@127.0.0.1:" + port).setNodeId(nodeId).build();
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
}
