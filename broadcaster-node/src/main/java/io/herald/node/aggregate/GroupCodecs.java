package io.herald.node.aggregate;

import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.node.cluster.ClusterCodec;
import io.herald.protocol.cluster.v1.GroupFeedConfirmed;
import io.herald.protocol.cluster.v1.GroupGet;
import io.herald.protocol.cluster.v1.GroupListMembers;
import io.herald.protocol.cluster.v1.GroupMemberChanged;
import io.herald.protocol.cluster.v1.GroupMemberLeft;
import io.herald.protocol.cluster.v1.GroupMemberPage;
import io.herald.protocol.cluster.v1.GroupMembersUpdated;
import io.herald.protocol.cluster.v1.GroupNodeLost;
import io.herald.protocol.cluster.v1.GroupRestore;
import io.herald.protocol.v1.GroupAggregateView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Protobuf codecs for the messages of {@link GroupAggregator}. */
public final class GroupCodecs {

  private GroupCodecs() {}

  public static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    return List.of(
        ClusterCodec.of(GroupAggregator.MembersUpdated.class, "gu",
            m -> {
              GroupMembersUpdated.Builder wire = GroupMembersUpdated.newBuilder();
              m.changed().forEach(member -> wire.addChanged(memberToWire(member)));
              m.left().forEach(member -> wire.addLeft(
                  GroupMemberLeft.newBuilder().setDeviceId(member.deviceId()).setAsOfMs(member.asOfMillis())));
              return wire.setFromNode(m.fromNode()).setBatch(m.batch())
                  .setFeed(refs.toSerializationFormat(m.feed())).build().toByteArray();
            },
            bytes -> {
              GroupMembersUpdated wire = GroupMembersUpdated.parseFrom(bytes);
              return new GroupAggregator.MembersUpdated(
                  wire.getChangedList().stream().map(GroupCodecs::memberFromWire).toList(),
                  wire.getLeftList().stream()
                      .map(member -> new GroupAggregator.MemberLeft(member.getDeviceId(), member.getAsOfMs()))
                      .toList(),
                  wire.getFromNode(), wire.getBatch(), refs.resolveActorRef(wire.getFeed()));
            }),
        ClusterCodec.of(GroupFeed.Confirmed.class, "gfc",
            m -> GroupFeedConfirmed.newBuilder().addAllBatches(m.batches()).build().toByteArray(),
            bytes -> new GroupFeed.Confirmed(List.copyOf(GroupFeedConfirmed.parseFrom(bytes).getBatchesList()))),
        ClusterCodec.of(GroupAggregator.NodeLost.class, "gnl",
            m -> GroupNodeLost.newBuilder().setNode(m.node()).build().toByteArray(),
            bytes -> new GroupAggregator.NodeLost(GroupNodeLost.parseFrom(bytes).getNode())),
        ClusterCodec.of(GroupAggregator.Restore.class, "grs", GroupCodecs::restoreToWire, GroupCodecs::restoreFromWire),
        ClusterCodec.of(GroupAggregator.GetAggregate.class, "gg",
            m -> GroupGet.newBuilder().setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> new GroupAggregator.GetAggregate(refs.resolveActorRef(GroupGet.parseFrom(bytes).getReplyTo()))),
        ClusterCodec.of(GroupAggregator.ListMembers.class, "glm",
            m -> GroupListMembers.newBuilder().setAfter(m.after()).setLimit(m.limit())
                .setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> {
              GroupListMembers wire = GroupListMembers.parseFrom(bytes);
              return new GroupAggregator.ListMembers(wire.getAfter(), wire.getLimit(),
                  refs.resolveActorRef(wire.getReplyTo()));
            }),
        ClusterCodec.of(GroupAggregator.MemberPage.class, "gmp",
            m -> GroupMemberPage.newBuilder().setGroupId(m.groupId()).addAllMemberIds(m.memberIds())
                .setMore(m.more()).build().toByteArray(),
            bytes -> {
              GroupMemberPage wire = GroupMemberPage.parseFrom(bytes);
              return new GroupAggregator.MemberPage(wire.getGroupId(), List.copyOf(wire.getMemberIdsList()),
                  wire.getMore());
            }),
        ClusterCodec.of(GroupAggregator.AggregateReport.class, "ga",
            m -> GroupViews.toWire(m.groupId(), m.snapshot()).toByteArray(),
            bytes -> {
              GroupAggregateView view = GroupAggregateView.parseFrom(bytes);
              Map<String, Aggregate.FieldStats> fields = new TreeMap<>();
              view.getFieldsMap().forEach((name, stats) -> fields.put(name,
                  new Aggregate.FieldStats(stats.getCount(), stats.getSum(), stats.getMin(), stats.getMax())));
              return new GroupAggregator.AggregateReport(view.getGroupId(),
                  new Aggregate.Snapshot(view.getMembers(), view.getOnline(), fields));
            }));
  }

  /** Each node's address goes once: a part of a large group holds thousands of members of a few nodes. */
  private static byte[] restoreToWire(GroupAggregator.Restore restore) {
    GroupRestore.Builder wire = GroupRestore.newBuilder();
    Map<String, Integer> nodeIndexes = new HashMap<>();
    for (GroupAggregator.HandedOn handedOn : restore.members()) {
      if (handedOn.lost()) {
        wire.addLostMembers(wire.getMembersCount());
      }
      wire.addMembers(memberToWire(handedOn.member()));
      wire.addMemberNodes(nodeIndexes.computeIfAbsent(handedOn.node(), node -> {
        wire.addNodes(node);
        return wire.getNodesCount() - 1;
      }));
    }
    return wire.build().toByteArray();
  }

  private static GroupAggregator.Restore restoreFromWire(byte[] bytes) throws InvalidProtocolBufferException {
    GroupRestore wire = GroupRestore.parseFrom(bytes);
    Set<Integer> lost = new HashSet<>(wire.getLostMembersList());
    List<GroupAggregator.HandedOn> members = new ArrayList<>(wire.getMembersCount());
    for (int i = 0; i < wire.getMembersCount(); i++) {
      members.add(new GroupAggregator.HandedOn(memberFromWire(wire.getMembers(i)),
          wire.getNodes(wire.getMemberNodes(i)), lost.contains(i)));
    }
    return new GroupAggregator.Restore(members);
  }

  private static GroupMemberChanged memberToWire(GroupAggregator.MemberChanged m) {
    return GroupMemberChanged.newBuilder().setDeviceId(m.deviceId()).setOnline(m.online())
        .putAllNumbers(m.numbers()).setAsOfMs(m.asOfMillis()).build();
  }

  private static GroupAggregator.MemberChanged memberFromWire(GroupMemberChanged m) {
    return new GroupAggregator.MemberChanged(m.getDeviceId(), m.getOnline(), new TreeMap<>(m.getNumbersMap()),
        m.getAsOfMs());
  }
}
