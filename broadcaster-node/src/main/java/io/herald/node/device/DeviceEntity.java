package io.herald.node.device;

import com.google.protobuf.ByteString;
import io.herald.node.aggregate.GroupAggregator;
import io.herald.node.aggregate.GroupFeed;
import io.herald.node.cluster.ClusterMessage;
import io.herald.node.cluster.NextHome;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicService;
import io.herald.protocol.v1.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One device, wherever Cluster Sharding places it: its reported and desired state, where
 * it is connected, and when it was last seen. Desired state is pushed to the device's live
 * connection and sent again on every connect until the device acknowledges it. Changes
 * are published to {@code $device/{id}/state}, connects and disconnects to
 * {@code $device/{id}/presence}, while those topics have subscribers (their homes say so
 * through {@link Interest}). An entity that knows nothing of its device and that no topic
 * follows asks its shard to stop it after each message, so reads of unknown ids leave
 * nothing resident; every other entity stays until its shard moves, or until it forgets
 * a device that stayed offline for {@code herald.device.forget-offline-after}.
 */
public final class DeviceEntity extends AbstractBehavior<DeviceEntity.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "device");

  public interface Command extends ClusterMessage {}

  /**
   * A connection for this device opened on some node at {@code openedAtMillis} (its wall
   * clock); answered with {@link ConnectionActor.Registered}. The connection sends it again
   * until answered, and again when the node that answered leaves the cluster, so a copy can
   * come late: one of the current session, or of a session a newer one replaced, is
   * answered and not taken.
   */
  public record Connect(String sessionId, String nodeId, ActorRef<ConnectionActor.Command> connection,
      List<String> groups, long openedAtMillis) implements Command {}

  /** That connection ended. */
  public record Disconnect(String sessionId) implements Command {}

  /**
   * A report; {@code correlationId} comes back in the {@link StateReported} answer. With
   * correlation 0 only a refusal is answered. A connection numbers its answered reports
   * 1, 2, 3, ... and may send one again; {@code oldestWaiting} is the oldest number it
   * still waited on when it sent this one (see {@link ReportOrder}).
   */
  public record ReportState(Map<String, FieldValue> fields, boolean replace, List<String> remove,
      long correlationId, long oldestWaiting, ActorRef<StateReported> replyTo) implements Command {

    /** A report with nothing older waiting for an answer. */
    public ReportState(Map<String, FieldValue> fields, boolean replace, List<String> remove, long correlationId,
        ActorRef<StateReported> replyTo) {
      this(fields, replace, remove, correlationId, correlationId, replyTo);
    }

    /** The same report, sent again while {@code oldest} is the oldest still waiting. */
    public ReportState withOldestWaiting(long oldest) {
      return new ReportState(fields, replace, remove, correlationId, oldest, replyTo);
    }
  }

  /** The answer to a report: the new version, or why it was refused. */
  public record StateReported(long correlationId, long version, ErrorCode error, String message)
      implements ClusterMessage {
    public boolean accepted() {
      return error == ErrorCode.ERROR_CODE_UNSPECIFIED;
    }
  }

  public record AckDesired(long version) implements Command {}

  /**
   * Asks where this entity lives, so that a connection may send to it without Cluster
   * Sharding's two hops; answered with {@link Located} carrying {@code question}.
   */
  public record Locate(long question, ActorRef<Located> replyTo) implements Command {}

  /** The answer to {@link Locate}: the entity itself. */
  public record Located(long question, ActorRef<Command> entity) implements ClusterMessage {}

  public record GetDevice(ActorRef<DeviceSnapshot> replyTo) implements Command {}

  /**
   * Asks the entity to tell every group of its device its word again, as it is now: sent to
   * each entity of a node after another node crashed ({@link io.herald.node.aggregate.GroupRebuild}),
   * since the aggregators that lived there start again knowing nothing.
   */
  public enum RetellGroups implements Command {
    INSTANCE
  }

  /** Replaces the desired state; with an expected version, only if it is still current. */
  public record SetDesired(Map<String, FieldValue> desired, OptionalLong expectedVersion,
      ActorRef<DesiredSet> replyTo) implements Command {}

  /** The answer to SetDesired: the desired version now, whether it was pushed, or why not. */
  public record DesiredSet(long desiredVersion, boolean pushed, ErrorCode error, String message)
      implements ClusterMessage {
    public boolean applied() {
      return error == ErrorCode.ERROR_CODE_UNSPECIFIED;
    }
  }

  /**
   * A topic's home says whether {@code topic} has subscribers. "Followed" is answered to
   * {@code home} with {@link TopicEntity.PublisherFollowing} carrying {@code request}.
   */
  public record Interest(DeviceTopic topic, boolean followed, long request, ActorRef<TopicEntity.Command> home)
      implements Command {}

  /**
   * The state this device had in its previous home, sent there when its shard moved, with
   * its live connection and when that opened, the connection that reported last there and
   * the number of its last report handled.
   */
  public record Restore(DeviceSnapshot earlier, Optional<ActorRef<ConnectionActor.Command>> connection,
      long sessionOpenedAtMillis, Optional<ActorRef<StateReported>> reporter, long lastReportHandled)
      implements Command {}

  /** Sharding stops the entity with this when its shard moves to another node, or when it asked to stop. */
  private enum HandOff implements Command {
    INSTANCE
  }

  private record ConnectionLost(String sessionId) implements Command {}

  /** The device may have been offline for {@code herald.device.forget-offline-after}. */
  private enum ForgetIfOffline implements Command {
    INSTANCE
  }

  private record FollowingHomeStopped(ActorRef<TopicEntity.Command> home) implements Command {}

  private record Session(String sessionId, String nodeId, ActorRef<ConnectionActor.Command> connection,
      long openedAtMillis) {

    /** A Connect from another connection that opened no earlier than this one replaces it. */
    boolean replacedBy(Connect connect) {
      return !sessionId.equals(connect.sessionId()) && connect.openedAtMillis() >= openedAtMillis;
    }
  }

  /** What every device entity of a node shares: one object, not a field each per entity. */
  public record Services(DeviceSettings settings, TopicService topics, ActorRef<GroupFeed.Command> groupFeed,
      NodeMetrics metrics, Clock clock) {}

  /** Starts sharding for devices on this node. */
  public static void init(ActorSystem<?> system, Services services) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
            entity -> create(entity.getEntityId(), entity.getShard(), services))
        .withStopMessage(HandOff.INSTANCE));
  }

  /** How a node reaches the entity of a device id. */
  public static Function<String, RecipientRef<Command>> directory(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return deviceId -> sharding.entityRefFor(ENTITY_TYPE_KEY, deviceId);
  }

  public static Behavior<Command> create(String deviceId, ActorRef<ClusterSharding.ShardCommand> shard,
      Services services) {
    return Behaviors.setup(context -> new DeviceEntity(context, deviceId, shard, services));
  }

  private final String deviceId;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Services services;
  private DeviceState state;
  private final TopicFollowers followers = new TopicFollowers();
  /** Made with the first answered report: most entities of a fleet that only reports never need one. */
  private ReportOrder<ActorRef<StateReported>> reportOrder;
  private Optional<Session> session = Optional.empty();
  private List<String> groups = List.of();
  /** Never goes back, even if the clock does: groups keep a member's newest word by it. */
  private Instant lastSeen;
  /** The pending check of an offline device that may be forgotten, if any. */
  private Cancellable forgetting;

  private DeviceEntity(ActorContext<Command> context, String deviceId, ActorRef<ClusterSharding.ShardCommand> shard,
      Services services) {
    super(context);
    this.deviceId = deviceId;
    this.shard = shard;
    this.services = services;
    services.metrics().deviceEntityResident(1);
    this.state = new DeviceState(services.settings().limits());
  }

  @Override
  public Receive<Command> createReceive() {
    // Two cases, not one per message: a receive builder's cases are built for each
    // entity, and a node may hold a million entities (one case per message cost 443
    // bytes more per entity, measured).
    return newReceiveBuilder()
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, stopped -> {
          cancelForgetting();
          services.metrics().deviceEntityResident(-1);
          return this;
        })
        .build();
  }

  private Behavior<Command> onCommand(Command command) {
    Behavior<Command> next = handle(command);
    if (next == this && knowsNothing()) {
      // A read of an id no device ever used, say: nothing to keep, so nothing stays resident.
      // The shard holds what arrives meanwhile and starts the entity again for it.
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return next;
  }

  private Behavior<Command> handle(Command command) {
    if (command instanceof ReportState report) {
      return onReportState(report);
    } else if (command instanceof Connect connect) {
      return onConnect(connect);
    } else if (command instanceof Disconnect disconnect) {
      return onSessionEnded(disconnect.sessionId());
    } else if (command instanceof ConnectionLost lost) {
      return onSessionEnded(lost.sessionId());
    } else if (command instanceof Interest interest) {
      return onInterest(interest);
    } else if (command instanceof AckDesired ack) {
      return onAckDesired(ack);
    } else if (command instanceof Locate locate) {
      locate.replyTo().tell(new Located(locate.question(), getContext().getSelf()));
      return this;
    } else if (command instanceof GetDevice get) {
      return onGetDevice(get);
    } else if (command == RetellGroups.INSTANCE) {
      tellGroups();
      return this;
    } else if (command instanceof SetDesired set) {
      return onSetDesired(set);
    } else if (command instanceof Restore restore) {
      return onRestore(restore);
    } else if (command instanceof FollowingHomeStopped stopped) {
      followers.homeStopped(stopped.home());
      return this;
    } else if (command == ForgetIfOffline.INSTANCE) {
      return onForgetIfOffline();
    } else if (command instanceof HandOff) {
      return onHandOff();
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onConnect(Connect connect) {
    ConnectionActor.Registered registered = new ConnectionActor.Registered(connect.sessionId(), node());
    if (session.isPresent() && !session.get().replacedBy(connect)) {
      // Sent again, or late from a connection a newer one replaced: answered, so that its
      // connection stops sending it, and not taken.
      connect.connection().tell(registered);
      return this;
    }
    session.ifPresent(previous -> getContext().unwatch(previous.connection()));
    session = Optional.of(new Session(connect.sessionId(), connect.nodeId(), connect.connection(),
        connect.openedAtMillis()));
    cancelForgetting();
    seenNow();
    // Group membership comes with the token: groups it no longer names lose the device.
    for (String group : groups) {
      if (!connect.groups().contains(group)) {
        tellLeft(group);
      }
    }
    groups = List.copyOf(connect.groups());
    getContext().watchWith(connect.connection(), new ConnectionLost(connect.sessionId()));
    connect.connection().tell(registered);
    if (state.hasUnacknowledgedDesired()) {
      pushDesired();
    }
    publish(DeviceTopic.PRESENCE);
    tellGroups();
    return this;
  }

  private Behavior<Command> onSessionEnded(String sessionId) {
    // A late notice of an older session must not take a newer one offline.
    if (session.isPresent() && session.get().sessionId().equals(sessionId)) {
      getContext().unwatch(session.get().connection());
      session = Optional.empty();
      seenNow();
      publish(DeviceTopic.PRESENCE);
      tellGroups();
      scheduleForgetting();
    }
    return this;
  }

  /**
   * A device that was seen and went offline is forgotten once it has stayed away for
   * {@code forget-offline-after} since it was last seen; checked then, not before.
   */
  private void scheduleForgetting() {
    cancelForgetting();
    forgetAt().ifPresent(at -> {
      Duration left = Duration.between(services.clock().instant(), at);
      forgetting = getContext().scheduleOnce(left.isNegative() ? Duration.ZERO : left, getContext().getSelf(),
          ForgetIfOffline.INSTANCE);
    });
  }

  /** When an offline device that was seen is to be forgotten; empty if online, never seen, or kept for good. */
  private Optional<Instant> forgetAt() {
    if (session.isPresent() || lastSeen == null) {
      return Optional.empty();
    }
    return services.settings().forgetOfflineAfter().map(lastSeen::plus);
  }

  private void cancelForgetting() {
    if (forgetting != null) {
      forgetting.cancel();
      forgetting = null;
    }
  }

  /**
   * Everything this node knew of the device goes: it leaves its groups, the followers of
   * its state see it unknown, and the entity stops unless a topic still follows it (see
   * {@link #knowsNothing()}). Should the device come back, it starts afresh, as after a crash.
   */
  private Behavior<Command> onForgetIfOffline() {
    forgetting = null;
    Optional<Instant> at = forgetAt();
    if (at.isEmpty()) {
      return this;
    }
    if (services.clock().instant().isBefore(at.get())) {
      scheduleForgetting(); // seen again since, by a late report
      return this;
    }
    groups.forEach(this::tellLeft);
    groups = List.of();
    state = new DeviceState(services.settings().limits());
    reportOrder = null;
    lastSeen = null;
    services.metrics().deviceForgotten();
    publish(DeviceTopic.STATE);
    return this;
  }

  private Behavior<Command> onReportState(ReportState report) {
    // Correlation 0: the device wants no answer, only to hear of a refusal, and its report
    // is neither numbered nor sent again.
    boolean answered = report.correlationId() != 0;
    if (answered) {
      if (reportOrder == null) {
        reportOrder = new ReportOrder<>();
      }
      switch (reportOrder.judge(report.replyTo(), report.correlationId(), report.oldestWaiting())) {
        case COPY -> {
          answerAccepted(report);
          return this;
        }
        case EARLY -> {
          return this;
        }
        case APPLY -> reportOrder.handled(report.replyTo(), report.correlationId());
      }
    }
    seenNow();
    long before = state.reportedVersion();
    Optional<String> refused = state.report(report.fields(), report.replace(), report.remove());
    if (refused.isPresent()) {
      report.replyTo().tell(new StateReported(report.correlationId(), state.reportedVersion(),
          ErrorCode.STATE_TOO_LARGE, refused.get()));
      return this;
    }
    services.metrics().stateUpdated();
    if (answered) {
      answerAccepted(report);
    }
    if (state.reportedVersion() != before) {
      publish(DeviceTopic.STATE);
      tellGroups();
    }
    return this;
  }

  private void answerAccepted(ReportState report) {
    report.replyTo().tell(new StateReported(report.correlationId(), state.reportedVersion(),
        ErrorCode.ERROR_CODE_UNSPECIFIED, ""));
  }

  private Behavior<Command> onAckDesired(AckDesired ack) {
    seenNow();
    state.acknowledge(ack.version());
    return this;
  }

  private Behavior<Command> onGetDevice(GetDevice get) {
    get.replyTo().tell(snapshot());
    return this;
  }

  private Behavior<Command> onSetDesired(SetDesired set) {
    if (set.expectedVersion().isPresent() && set.expectedVersion().getAsLong() != state.desiredVersion()) {
      set.replyTo().tell(new DesiredSet(state.desiredVersion(), false, ErrorCode.VERSION_CONFLICT,
          "desired version is " + state.desiredVersion() + ", not " + set.expectedVersion().getAsLong()));
      return this;
    }
    Optional<String> refused = state.setDesired(set.desired());
    if (refused.isPresent()) {
      set.replyTo().tell(new DesiredSet(state.desiredVersion(), false, ErrorCode.STATE_TOO_LARGE, refused.get()));
      return this;
    }
    boolean pushed = session.isPresent();
    if (pushed) {
      pushDesired();
    }
    set.replyTo().tell(new DesiredSet(state.desiredVersion(), pushed, ErrorCode.ERROR_CODE_UNSPECIFIED, ""));
    publish(DeviceTopic.STATE);
    return this;
  }

  /** This node's address, which tells a connection where its device's entity lives. */
  private String node() {
    return getContext().getSystem().address().toString();
  }

  private Behavior<Command> onHandOff() {
    if (known()) {
      NextHome.send(getContext(), ENTITY_TYPE_KEY, deviceId,
          new Restore(snapshot(), session.map(Session::connection), session.map(Session::openedAtMillis).orElse(0L),
              reportOrder == null ? Optional.empty() : Optional.ofNullable(reportOrder.reporter()),
              reportOrder == null ? 0 : reportOrder.lastHandled()));
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onRestore(Restore restore) {
    DeviceSnapshot earlier = restore.earlier();
    state.restore(earlier.reported(), earlier.reportedVersion(), earlier.desired(), earlier.desiredVersion(),
        earlier.ackedDesiredVersion());
    if (lastSeen == null || earlier.lastSeen().isAfter(lastSeen)) {
      lastSeen = earlier.lastSeen();
    }
    if (groups.isEmpty()) {
      groups = List.copyOf(earlier.groups());
    }
    if (restore.reporter().isPresent()) {
      if (reportOrder == null) {
        reportOrder = new ReportOrder<>();
      }
      reportOrder.restore(restore.reporter().get(), restore.lastReportHandled());
    }
    // A connection that did not reconnect meanwhile is still the device's session.
    if (session.isEmpty() && earlier.online() && restore.connection().isPresent()) {
      session = Optional.of(new Session(earlier.sessionId(), earlier.nodeId(), restore.connection().get(),
          restore.sessionOpenedAtMillis()));
      getContext().watchWith(restore.connection().get(), new ConnectionLost(earlier.sessionId()));
      restore.connection().get().tell(new ConnectionActor.Registered(earlier.sessionId(), node()));
    }
    if (state.hasUnacknowledgedDesired()) {
      pushDesired();
    }
    // Followers and groups may have been told of this incarnation before the state it
    // restores: a device that reconnected here first was announced without its numbers.
    for (DeviceTopic topic : DeviceTopic.values()) {
      publish(topic);
    }
    tellGroups();
    scheduleForgetting();
    return this;
  }

  private Behavior<Command> onInterest(Interest interest) {
    if (interest.followed()) {
      boolean news = followers.followedBy(interest.topic(), interest.home());
      getContext().watchWith(interest.home(), new FollowingHomeStopped(interest.home()));
      interest.home().tell(new TopicEntity.PublisherFollowing(interest.request(), getContext().getSelf()));
      // What changed while nobody was told to publish (this incarnation just started, say),
      // or was published while the topic's home moved and lost with it: the view as it is
      // now catches the followers up.
      if (news && known()) {
        publish(interest.topic());
      }
    } else if (followers.unfollowedBy(interest.topic(), interest.home())) {
      getContext().unwatch(interest.home());
    }
    return this;
  }

  private void tellGroups() {
    if (!groups.isEmpty()) {
      services.groupFeed().tell(new GroupFeed.Changed(groups, memberNow()));
    }
  }

  private void tellLeft(String group) {
    services.groupFeed().tell(
        new GroupFeed.Left(group, new GroupAggregator.MemberLeft(deviceId, lastSeen.toEpochMilli())));
  }

  private GroupAggregator.MemberChanged memberNow() {
    return new GroupAggregator.MemberChanged(deviceId, session.isPresent(), state.reportedNumbers(),
        lastSeen.toEpochMilli());
  }

  private void seenNow() {
    Instant now = services.clock().instant();
    if (lastSeen == null || now.isAfter(lastSeen)) {
      lastSeen = now;
    }
  }

  private void pushDesired() {
    session.ifPresent(live -> live.connection().tell(
        new ConnectionActor.PushDesired(state.desiredVersion(), state.desired(), state.delta())));
  }

  /** Seen at least once, or given a desired state: what an entity must keep once it has it. */
  private boolean known() {
    return lastSeen != null || state.desiredVersion() > 0;
  }

  /** Nothing that a fresh incarnation would not have too, and no topic's home relies on it. */
  private boolean knowsNothing() {
    return !known() && session.isEmpty() && !followers.any();
  }

  private DeviceSnapshot snapshot() {
    return new DeviceSnapshot(deviceId, known(), state.reported(), state.reportedVersion(), state.desired(),
        state.desiredVersion(), state.ackedDesiredVersion(), session.isPresent(),
        session.map(Session::nodeId).orElse(""), session.map(Session::sessionId).orElse(""),
        lastSeen == null ? Instant.EPOCH : lastSeen, groups);
  }

  private void publish(DeviceTopic topic) {
    if (followers.followed(topic)) {
      ByteString view = DeviceViews.toWire(snapshot()).toByteString();
      services.topics().publish(topic.of(deviceId), view, 0, getContext().getSystem().ignoreRef());
    }
  }
}
