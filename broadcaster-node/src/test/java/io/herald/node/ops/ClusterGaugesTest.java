package io.herald.node.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.protocol.v1.ClusterMember;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterGaugesTest {

  private static ClusterMember member(String status) {
    return ClusterMember.newBuilder().setStatus(status).build();
  }

  @Test
  void countsTheMembersOfEachStatus() {
    assertEquals(Map.of("Up", 2, "Leaving", 1),
        ClusterGauges.byStatus(List.of(member("Up"), member("Leaving"), member("Up"))));
  }
}
