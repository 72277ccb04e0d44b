package io.herald.node.aggregate;

import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.protocol.v1.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Asks each member of a page of a group for its state, once, and answers with each member
 * marked answered, offline or timed out, in the order asked, when all have answered or the
 * timeout has passed. One per request; it replies once and stops.
 */
final class GroupQuery extends AbstractBehavior<GroupQuery.Command> {

  interface Command {}

  private record Answered(DeviceSnapshot device) implements Command {}

  private enum Timeout implements Command {
    INSTANCE
  }

  static Behavior<Command> create(String groupId, List<String> members,
      Function<String, RecipientRef<DeviceEntity.Command>> devices, Duration timeout,
      ActorRef<MemberQueries.GroupMembers> replyTo) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startSingleTimer(Timeout.INSTANCE, timeout);
      return new GroupQuery(context, groupId, members, devices, replyTo);
    }));
  }

  private final String groupId;
  private final ActorRef<MemberQueries.GroupMembers> replyTo;
  private final Map<String, Optional<DeviceSnapshot>> answers = new LinkedHashMap<>();
  private int waiting;

  private GroupQuery(ActorContext<Command> context, String groupId, List<String> members,
      Function<String, RecipientRef<DeviceEntity.Command>> devices, ActorRef<MemberQueries.GroupMembers> replyTo) {
    super(context);
    this.groupId = groupId;
    this.replyTo = replyTo;
    ActorRef<DeviceSnapshot> answer = context.messageAdapter(DeviceSnapshot.class, Answered::new);
    for (String member : members) {
      if (answers.put(member, Optional.empty()) == null) {
        waiting++;
      }
      devices.apply(member).tell(new DeviceEntity.GetDevice(answer));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(Timeout.class, timeout -> reply())
        .build();
  }

  private Behavior<Command> onAnswered(Answered answered) {
    Optional<DeviceSnapshot> before = answers.replace(answered.device().deviceId(), Optional.of(answered.device()));
    if (before != null && before.isEmpty()) {
      waiting--;
    }
    return waiting == 0 ? reply() : this;
  }

  private Behavior<Command> reply() {
    List<MemberQueries.MemberReport> members = new ArrayList<>(answers.size());
    answers.forEach((deviceId, device) -> members.add(new MemberQueries.MemberReport(deviceId,
        device.map(d -> d.online() ? MemberStatus.ANSWERED : MemberStatus.OFFLINE).orElse(MemberStatus.TIMED_OUT),
        device)));
    replyTo.tell(new MemberQueries.GroupMembers(groupId, members));
    return Behaviors.stopped();
  }
}
