package io.herald.node.aggregate;

import io.herald.node.device.DeviceViews;
import io.herald.protocol.v1.FieldStats;
import io.herald.protocol.v1.GroupAggregateView;
import io.herald.protocol.v1.GroupDevicesView;
import io.herald.protocol.v1.GroupMember;

/** Groups as the API and the {@code $group/...} topics show them. */
public final class GroupViews {

  private GroupViews() {}

  public static GroupAggregateView toWire(String groupId, Aggregate.Snapshot snapshot) {
    GroupAggregateView.Builder view = GroupAggregateView.newBuilder()
        .setGroupId(groupId)
        .setMembers(snapshot.members())
        .setOnline(snapshot.online());
    snapshot.fields().forEach((name, stats) -> view.putFields(name, FieldStats.newBuilder()
        .setCount(stats.count())
        .setSum(stats.sum())
        .setMin(stats.min())
        .setMax(stats.max())
        .setMean(stats.mean())
        .build()));
    return view.build();
  }

  /** A page of a member query; {@code nextAfter} is empty on the last page. */
  public static GroupDevicesView toWire(MemberQueries.GroupMembers members, String nextAfter) {
    GroupDevicesView.Builder view = GroupDevicesView.newBuilder().setGroupId(members.groupId()).setNextAfter(nextAfter);
    for (MemberQueries.MemberReport member : members.members()) {
      GroupMember.Builder entry = GroupMember.newBuilder().setDeviceId(member.deviceId()).setStatus(member.status());
      member.device().ifPresent(device -> entry.setDevice(DeviceViews.toWire(device)));
      view.addMembers(entry);
    }
    return view.build();
  }
}
