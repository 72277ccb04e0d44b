package io.herald.node.ops;

import io.herald.protocol.v1.ClusterMember;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;

/** The cluster's members as one node sees them, for {@code GET /v1/node} and the status page. */
public final class ClusterMembers {

  private ClusterMembers() {}

  /** The members of {@code state} by address, {@code self} being the node that asks. */
  public static List<ClusterMember> of(ClusterEvent.CurrentClusterState state, Address self) {
    Set<Address> unreachable = StreamSupport.stream(state.getUnreachable().spliterator(), false)
        .map(Member::address)
        .collect(Collectors.toSet());
    return StreamSupport.stream(state.getMembers().spliterator(), false)
        .sorted(Comparator.comparing(member -> member.address().toString()))
        .map(member -> ClusterMember.newBuilder()
            .setAddress(member.address().toString())
            .setStatus(member.status().toString())
            .setReachable(!unreachable.contains(member.address()))
            .setLeader(member.address().equals(state.getLeader())) // none while the cluster forms
            .setSelf(member.address().equals(self))
            .build())
        .toList();
  }
}
