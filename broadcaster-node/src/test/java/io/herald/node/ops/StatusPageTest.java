package io.herald.node.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.NodeStatus;
import org.junit.jupiter.api.Test;

class StatusPageTest {

  @Test
  void showsTheNodeItsMembersAndItsCountersInOrder() {
    String page = StatusPage.render(NodeStatus.newBuilder()
        .setNodeId("node-<1>")
        .setMemberStatus("Up")
        .setDraining(true)
        .setUptimeMs(90_061_000)
        .setConnectionsOpen(18_000)
        .putCounters("frames_in", 7)
        .putCounters("drops.shard_buffer", 3)
        .addMembers(ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:2551").setStatus("Up")
            .setReachable(true).setLeader(true).setSelf(true))
        .addMembers(ClusterMember.newBuilder().setAddress("pekko://herald@127.0.0.1:2552").setStatus("Up")
            .setReachable(false))
        .build());

    assertTrue(page.contains("<h1>Herald node node-&lt;1&gt;</h1>"), "the node id is text, not markup");
    assertFalse(page.contains("node-<1>"));
    assertTrue(page.contains("<td>member status</td><td>Up, draining</td>"));
    assertTrue(page.contains("<td>up for</td><td>1 d 1 h</td>"));
    assertTrue(page.contains("<td>open connections</td><td class=\"n\">18000</td>"));
    assertTrue(page.contains("<tr><td>pekko://herald@127.0.0.1:2551</td><td>Up</td><td>yes</td>"
        + "<td>leader, this node</td></tr>"));
    assertTrue(page.contains("<tr><td>pekko://herald@127.0.0.1:2552</td><td>Up</td><td class=\"bad\">no</td>"
        + "<td></td></tr>"));
    assertTrue(page.indexOf("drops.shard_buffer") < page.indexOf("frames_in"), "counters by name");
    assertTrue(page.contains("<meta http-equiv=\"refresh\" content=\"" + StatusPage.REFRESH_SECONDS + "\">"));
  }

  @Test
  void escapesEverythingHtmlWouldRead() {
    assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;", StatusPage.escape("<a href=\"x\">&'"));
  }
}
