package io.herald.node.aggregate;

import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.protocol.v1.MemberStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Member queries, run on the node whose API was asked: one {@link GroupQuery} per page of
 * a group's members, which asks each member's entity and answers once. Each member's state
 * crosses the cluster on its own and the page is put together here, so no cluster message
 * grows with the group. One per node.
 */
public final class MemberQueries {

  private MemberQueries() {}

  /** Asks each of {@code memberIds} for its state; answered with {@link GroupMembers}. */
  public record Query(String groupId, List<String> memberIds, ActorRef<GroupMembers> replyTo) {}

  /** The members of a query in the order asked. */
  public record GroupMembers(String groupId, List<MemberReport> members) {}

  /** One member in a query: answered (online), offline (last known state), or timed out (no state). */
  public record MemberReport(String deviceId, MemberStatus status, Optional<DeviceSnapshot> device) {}

  public static Behavior<Query> create(Function<String, RecipientRef<DeviceEntity.Command>> devices, Duration timeout) {
    return Behaviors.receive((context, query) -> {
      if (query.memberIds().isEmpty()) {
        query.replyTo().tell(new GroupMembers(query.groupId(), List.of()));
      } else {
        context.spawnAnonymous(GroupQuery.create(query.groupId(), query.memberIds(), devices, timeout, query.replyTo()));
      }
      return Behaviors.same();
    });
  }
}
