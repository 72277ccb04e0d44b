package io.herald.node.aggregate;

import io.herald.node.device.DeviceEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Puts the groups right after another node crashed, as far as this node can. The device
 * entities that lived there died with it, and nobody will say that their devices went
 * offline: every group aggregator here is told {@link GroupAggregator.NodeLost}, and takes
 * the members whose newest word came from that node offline (and out of the group
 * {@code forget-lost-after} later, if nobody spoke for them since). The aggregators that lived
 * there start again elsewhere knowing nothing, and would hear of a member only at its next
 * change: every device entity here is told {@link DeviceEntity.RetellGroups}, at most
 * {@code rebuild-rate} a second so that a node holding a million spreads the work, and its
 * {@link GroupFeed} gathers their words into one batch per group as for any change. They
 * are told {@code rebuild-after} the node's removal: until every region has heard that the
 * node's shards are gone, a region may still send to it what is meant for them, and what
 * members said meanwhile (entities started again for connections that registered again)
 * may have been lost that way.
 * Aggregators that did not die hear the same words again, which changes nothing.
 *
 * <p>The aggregators here are told {@code NodeLost} a second time then: a group that was
 * moving between two surviving nodes when the node crashed was nobody's to tell at first,
 * and arrives with members the crashed node spoke for. Those that heard it already have
 * nobody left to take offline.
 *
 * <p>A node that leaves gracefully hands its entities and aggregators on instead, so only
 * a node removed after being downed counts. One per node.
 */
public final class GroupRebuild {

  public interface Command {}

  private record NodeRemoved(ClusterEvent.MemberRemoved removed) implements Command {}

  /** The lost node's shards have found their new homes ({@code rebuild-after}). */
  private record Settled(String lostNode) implements Command {}

  /** The group aggregators this node holds (none if the region did not answer). */
  private record LocalGroups(String lostNode, List<String> groupIds) implements Command {}

  /** The device entities this node holds (none if the region did not answer). */
  private record LocalDevices(List<String> deviceIds) implements Command {}

  /** How long a region may take to list its entities: it asks each of its shards. */
  private static final Duration LISTING_TIMEOUT = Duration.ofSeconds(30);

  private GroupRebuild() {}

  public static Behavior<Command> create(Function<String, RecipientRef<DeviceEntity.Command>> devices,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, int ratePerSecond, Duration rebuildAfter) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          context.messageAdapter(ClusterEvent.MemberRemoved.class, NodeRemoved::new), ClusterEvent.MemberRemoved.class));
      ActorRef<ClusterShardingQuery> shardState = ClusterSharding.get(context.getSystem()).shardState();
      Materializer materializer = Materializer.createMaterializer(context);
      return Behaviors.receive(Command.class)
          .onMessage(NodeRemoved.class, removed -> {
            ClusterEvent.MemberRemoved event = removed.removed();
            if (event.previousStatus().equals(MemberStatus.down()) && !event.member().equals(cluster.selfMember())) {
              String lost = event.member().address().toString();
              context.getLog().info("{} crashed: telling this node's groups now and again in {}, its devices then",
                  lost, rebuildAfter);
              listLocal(context, shardState, GroupAggregator.ENTITY_TYPE_KEY, ids -> new LocalGroups(lost, ids));
              timers.startSingleTimer(new Settled(lost), rebuildAfter);
            }
            return Behaviors.same();
          })
          .onMessage(Settled.class, settled -> {
            listLocal(context, shardState, GroupAggregator.ENTITY_TYPE_KEY,
                ids -> new LocalGroups(settled.lostNode(), ids));
            listLocal(context, shardState, DeviceEntity.ENTITY_TYPE_KEY, LocalDevices::new);
            return Behaviors.same();
          })
          .onMessage(LocalGroups.class, local -> {
            GroupAggregator.NodeLost lost = new GroupAggregator.NodeLost(local.lostNode());
            local.groupIds().forEach(groupId -> groups.apply(groupId).tell(lost));
            return Behaviors.same();
          })
          .onMessage(LocalDevices.class, local -> {
            context.getLog().info("{} device entities tell their groups again, {} a second",
                local.deviceIds().size(), ratePerSecond);
            Source.from(local.deviceIds())
                .throttle(ratePerSecond, Duration.ofSeconds(1))
                .runForeach(id -> devices.apply(id).tell(DeviceEntity.RetellGroups.INSTANCE), materializer);
            return Behaviors.same();
          })
          .build();
    }));
  }

  /** Asks this node's region of {@code type} for its entity ids; the answer comes as {@code listed} makes it. */
  private static void listLocal(ActorContext<Command> context, ActorRef<ClusterShardingQuery> shardState,
      EntityTypeKey<?> type, Function<List<String>, Command> listed) {
    context.ask(ShardRegion.CurrentShardRegionState.class, shardState, LISTING_TIMEOUT,
        replyTo -> new GetShardRegionState(type, replyTo),
        (state, failure) -> {
          List<String> entityIds = new ArrayList<>();
          if (state != null) {
            state.getShards().forEach(shard -> entityIds.addAll(shard.getEntityIds()));
          } else {
            context.getLog().warn("the {} region did not list its entities: {}", type.name(), failure.toString());
          }
          return listed.apply(entityIds);
        });
  }
}
