package io.herald.node.aggregate;

import io.herald.node.cluster.ClusterMessage;
import io.herald.node.cluster.NextHome;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicService;
import io.herald.protocol.v1.MemberStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One group's live aggregates, wherever Cluster Sharding places it. Member devices' presence
 * and numbers reach it as they change, gathered by each node's {@link GroupFeed}; it folds
 * them into an {@link Aggregate} and publishes a snapshot to {@code $group/{id}} at most
 * once per snapshot interval, and only after something changed.
 */
public final class GroupAggregator extends AbstractBehavior<GroupAggregator.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "group");

  public interface Command extends ClusterMessage {}

  /** What a group hears of one member, as the member's entity saw it at {@code asOfMillis}. */
  public sealed interface MemberUpdate {
    String deviceId();

    long asOfMillis();
  }

  /** A member's presence and numbers. */
  public record MemberChanged(String deviceId, boolean online, Map<String, Double> numbers, long asOfMillis)
      implements MemberUpdate {}

  /** A member's token no longer names this group. */
  public record MemberLeft(String deviceId, long asOfMillis) implements MemberUpdate {}

  /** What one node gathered for this group: each device's newest word, changed or left. */
  public record MembersUpdated(List<MemberChanged> changed, List<MemberLeft> left) implements Command {}

  public record GetAggregate(ActorRef<AggregateReport> replyTo) implements Command {}

  /** Asks every member for its state; answered with {@link GroupMembers}. */
  public record QueryMembers(ActorRef<GroupMembers> replyTo) implements Command {}

  public record AggregateReport(String groupId, Aggregate.Snapshot snapshot) implements ClusterMessage {}

  public record GroupMembers(String groupId, List<MemberReport> members) implements ClusterMessage {}

  /** One member in a query: answered (online), offline (last known state), or timed out (no state). */
  public record MemberReport(String deviceId, MemberStatus status, Optional<DeviceSnapshot> device) {}

  /** The members this group had in its previous home, sent there when its shard moved. */
  public record Restore(List<MemberChanged> members) implements Command {}

  /** Sharding stops the aggregator with this when its shard moves to another node. */
  private enum HandOff implements Command {
    INSTANCE
  }

  private enum PublishTick implements Command {
    INSTANCE
  }

  public static void init(ActorSystem<?> system, GroupSettings settings, TopicService topics,
      Function<String, RecipientRef<DeviceEntity.Command>> devices, NodeMetrics metrics) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
            entity -> create(entity.getEntityId(), settings, topics, devices, metrics))
        .withStopMessage(HandOff.INSTANCE));
  }

  /** How a node reaches the aggregator of a group id. */
  public static Function<String, RecipientRef<Command>> directory(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return groupId -> sharding.entityRefFor(ENTITY_TYPE_KEY, groupId);
  }

  public static Behavior<Command> create(String groupId, GroupSettings settings, TopicService topics,
      Function<String, RecipientRef<DeviceEntity.Command>> devices, NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new GroupAggregator(context, timers, groupId, settings, topics, devices, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final String groupId;
  private final GroupSettings settings;
  private final TopicService topics;
  private final Function<String, RecipientRef<DeviceEntity.Command>> devices;
  private final NodeMetrics metrics;
  private final Aggregate aggregate = new Aggregate();

  private GroupAggregator(ActorContext<Command> context, TimerScheduler<Command> timers, String groupId,
      GroupSettings settings, TopicService topics,
      Function<String, RecipientRef<DeviceEntity.Command>> devices, NodeMetrics metrics) {
    super(context);
    this.metrics = metrics;
    this.timers = timers;
    this.groupId = groupId;
    this.settings = settings;
    this.topics = topics;
    this.devices = devices;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MembersUpdated.class, this::onMembersUpdated)
        .onMessage(GetAggregate.class, this::onGetAggregate)
        .onMessage(QueryMembers.class, this::onQueryMembers)
        .onMessage(PublishTick.class, this::onPublishTick)
        .onMessage(Restore.class, this::onRestore)
        .onMessage(HandOff.class, handOff -> onHandOff())
        .build();
  }

  private Behavior<Command> onMembersUpdated(MembersUpdated updated) {
    boolean changed = false;
    for (MemberChanged member : updated.changed()) {
      changed |= aggregate.update(member.deviceId(), member.online(), member.numbers(), member.asOfMillis());
    }
    for (MemberLeft member : updated.left()) {
      changed |= aggregate.remove(member.deviceId(), member.asOfMillis());
    }
    if (changed) {
      schedulePublish();
    }
    return this;
  }

  private Behavior<Command> onGetAggregate(GetAggregate get) {
    get.replyTo().tell(new AggregateReport(groupId, aggregate.snapshot()));
    return this;
  }

  private Behavior<Command> onQueryMembers(QueryMembers query) {
    getContext().spawnAnonymous(GroupQuery.create(groupId, List.copyOf(aggregate.memberIds()), devices,
        settings.queryTimeout(), query.replyTo()));
    return this;
  }

  private Behavior<Command> onPublishTick(PublishTick tick) {
    metrics.aggregateTicked();
    topics.publish("$group/" + groupId, GroupViews.toWire(groupId, aggregate.snapshot()).toByteString(), 0,
        getContext().getSystem().ignoreRef());
    return this;
  }

  private Behavior<Command> onHandOff() {
    List<MemberChanged> members = aggregate.members().stream()
        .map(member -> new MemberChanged(member.memberId(), member.online(), member.numbers(), member.asOfMillis()))
        .toList();
    if (!members.isEmpty()) {
      NextHome.send(getContext(), ENTITY_TYPE_KEY, groupId, new Restore(members));
    }
    return Behaviors.stopped();
  }

  /** A member heard of since this aggregator started keeps its newer word. */
  private Behavior<Command> onRestore(Restore restore) {
    for (MemberChanged member : restore.members()) {
      aggregate.update(member.deviceId(), member.online(), member.numbers(), member.asOfMillis());
    }
    schedulePublish();
    return this;
  }

  /** The first change after a publish starts the interval; later changes ride along with it. */
  private void schedulePublish() {
    if (!timers.isTimerActive(PublishTick.INSTANCE)) {
      timers.startSingleTimer(PublishTick.INSTANCE, settings.snapshotInterval());
    }
  }
}
