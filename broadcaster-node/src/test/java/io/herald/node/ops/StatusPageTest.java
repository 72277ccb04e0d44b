package io.herald.node.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.NodeStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusPageTest {

  private static final ClusterMember FIRST = ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:2551")
      .setStatus("Up").setReachable(true).setLeader(true).setSelf(true).build();
  private static final ClusterMember SECOND = ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:2552")
      .setStatus("Up").setReachable(false).build();

  @Test
  void showsTheNodeEveryMemberWithWhatItAnsweredAndTheCountersInOrder() {
    NodeStatus self = NodeStatus.newBuilder()
        .setNodeId("node-<1>")
        .setAddress(FIRST.getAddress())
        .setMemberStatus("Up")
        .setDraining(true)
        .setUptimeMs(90_061_000)
        .setConnectionsOpen(18_000)
        .setTopicsActive(12)
        .setDeviceEntities(9_000)
        .setTopicHistoryBytes(4_096)
        .setHeapUsedBytes(500L * 1024 * 1024)
        .setHeapAfterGcBytes(300L * 1024 * 1024)
        .putCounters("frames_in", 7)
        .putCounters("drops.shard_buffer", 3)
        .addAllMembers(List.of(FIRST, SECOND))
        .build();
    String page = StatusPage.render(self,
        ClusterStatusView.combine(List.of(FIRST, SECOND), Map.of(FIRST.getAddress(), self)));

    assertTrue(page.contains("<h1>Herald node node-&lt;1&gt;</h1>"), "the node id is text, not markup");
    assertFalse(page.contains("node-<1>"));
    assertTrue(page.contains("<td>member status</td><td>Up, draining</td>"));
    assertTrue(page.contains("<td>up for</td><td>1 d 1 h</td>"));
    assertTrue(page.contains("<td>open connections</td><td class=\"n\">18000</td>"));
    assertTrue(page.contains("<td>heap used (MB)</td><td class=\"n\">500</td>"));
    assertTrue(page.contains("<td>heap after the latest collection (MB)</td><td class=\"n\">300</td>"));
    assertTrue(page.contains("<tr><td>pekko://herald@127.0.0.1:2551</td><td>Up</td><td>yes</td>"
        + "<td>leader, this node</td><td>node-&lt;1&gt;, draining</td><td class=\"n\">18000</td>"
        + "<td class=\"n\">12</td><td class=\"n\">9000</td><td class=\"n\">4</td><td class=\"n\">300</td>"
        + "<td>1 d 1 h</td></tr>"), page);
    assertTrue(page.contains("<tr><td>pekko://herald@127.0.0.1:2552</td><td>Up</td><td class=\"bad\">no</td>"
        + "<td></td><td colspan=\"7\" class=\"bad\">no answer</td></tr>"), page);
    assertTrue(page.indexOf("drops.shard_buffer") < page.indexOf("frames_in"), "counters by name");
    assertTrue(page.contains("<meta http-equiv=\"refresh\" content=\"" + StatusPage.REFRESH_SECONDS + "\">"));
  }

  @Test
  void addsUpWhatTheMembersThatAnsweredSaid() {
    ClusterMember third = ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:2553").setStatus("Up")
        .setReachable(true).build();
    NodeStatus first = NodeStatus.newBuilder().setAddress(FIRST.getAddress()).setConnectionsOpen(18_000)
        .setTopicsActive(40).setDeviceEntities(9_000).setTopicHistoryBytes(3_072).setHeapAfterGcBytes(300L << 20).build();
    NodeStatus thirdAnswer = NodeStatus.newBuilder().setAddress(third.getAddress()).setConnectionsOpen(17_000)
        .setTopicsActive(40).setDeviceEntities(11_000).setTopicHistoryBytes(1_024).setHeapAfterGcBytes(200L << 20).build();

    String page = StatusPage.render(first, ClusterStatusView.combine(List.of(FIRST, SECOND, third),
        Map.of(FIRST.getAddress(), first, third.getAddress(), thirdAnswer)));

    // Topics are not added up: one followed on both nodes is in both counts.
    assertTrue(page.contains("<tr><th>cluster</th><th colspan=\"4\">2 of 3 members answered</th>"
        + "<td class=\"n\">35000</td><td></td><td class=\"n\">20000</td><td class=\"n\">4</td>"
        + "<td class=\"n\">500</td><td></td></tr>"), page);
  }

  @Test
  void escapesEverythingHtmlWouldRead() {
    assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;", StatusPage.escape("<a href=\"x\">&'"));
  }
}
