package io.herald.node.connection;

import io.herald.node.cluster.ClusterMessage;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.FieldValue;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.topic.Subscriber;
import io.herald.node.topic.TopicEntity;
import io.herald.protocol.Topics;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Stands in for one device connection: answers its frames, holds its subscriptions,
 * limits its publish rate, keeps it alive with heartbeats and closes it with a reason.
 * It sees the transport only as an {@link OutboundPort} and a stream of decoded frames,
 * each acknowledged once handled so a fast sender is held back by the transport.
 */
public final class ConnectionActor extends AbstractBehavior<ConnectionActor.Command> {

  /** The longest a connection waits before it asks its device's entity again to take it. */
  private static final Duration CONNECT_RESEND_MAX = Duration.ofSeconds(30);
  /**
   * After the entity's node left, a Connect first waits as long as a third copy would (four
   * times report-resend-after): it waits in a region while the coordinator finds the lost
   * node's shards new homes and their entities start, and copies sent meanwhile would only
   * pile up in that region's bounded buffer (three per connection were measured at 1 s).
   */
  private static final int DOUBLINGS_AFTER_NODE_REMOVED = 2;

  public interface Command {}

  /**
   * The transport's side of inbound backpressure: told once a frame has been handled, so
   * it may pass on more. A transport stops reading from a device that is too far ahead.
   */
  public interface InboundGate {
    void frameHandled();
  }

  /** The inbound stream started; frames follow, each handled frame reported to {@code gate}. */
  public record InboundStarted(InboundGate gate) implements Command {}

  public record Inbound(InboundGate gate, ClientRequest request) implements Command {}

  public enum InboundCompleted implements Command {
    INSTANCE
  }

  public record InboundFailed(Throwable cause) implements Command {}

  /** The node is shutting down or draining: tell the device to reconnect elsewhere. */
  public record Leave(Duration reconnectAfter) implements Command {}

  private enum HeartbeatTick implements Command {
    INSTANCE
  }

  private enum CloseDeadline implements Command {
    INSTANCE
  }

  /** Desired state for the device, pushed by its entity from whichever node holds it. */
  public record PushDesired(long version, Map<String, FieldValue> desired, Map<String, FieldValue> delta)
      implements Command, ClusterMessage {}

  /**
   * The device's entity took this connection as the device's session; {@code entityNode} is
   * the address of the node it lives on. Sent on a Connect, and by an entity that took the
   * session over from its previous home, so the connection knows which node holds its
   * entity. An address, not the entity's reference: resolving a remote reference on every
   * connect costs more than the connection needs.
   */
  public record Registered(String sessionId, String entityNode) implements Command, ClusterMessage {}

  /** The node at {@code node} (an address) left the cluster; this connection's entity may have lived there. */
  public record NodeRemoved(String node) implements Command {}

  private record PublishAccepted(TopicEntity.Published published) implements Command {}

  private record ReportAnswered(DeviceEntity.StateReported reply) implements Command {}

  private record EntityLocated(DeviceEntity.Located located) implements Command {}

  private record EntityStopped(ActorRef<DeviceEntity.Command> entity) implements Command {}

  /** The oldest waiting state report may be due to be sent again, or overdue. */
  private enum CheckReports implements Command {
    INSTANCE
  }

  /** The entity may be due to be told of this connection again, having not answered. */
  private enum CheckRegistered implements Command {
    INSTANCE
  }

  public static Behavior<Command> create(String sessionId, DeviceIdentity identity, OutboundPort port,
      ConnectionServices services) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new ConnectionActor(context, timers, sessionId, identity, port, services)));
  }

  /** State reports one connection may have waiting for its entity's answer. */
  static final int MAX_PENDING_REPORTS = 256;

  private final TimerScheduler<Command> timers;
  private final String sessionId;
  private final DeviceIdentity identity;
  /** The device's entity: through Cluster Sharding, then straight to it once it has said where it is. */
  private final EntityRoute<DeviceEntity.Command> device;
  private final OutboundPort port;
  private final ConnectionServices services;
  private final ConnectionSettings settings;
  private final NodeMetrics metrics;
  private final Subscriber asSubscriber;
  /** Made on the first publish that asks for an answer: most devices never publish. */
  private ActorRef<TopicEntity.Published> publishAcks;
  /** Made with the first state report, as are the adapters its answers come through. */
  private PendingReports<DeviceEntity.ReportState> pendingReports;
  private ActorRef<DeviceEntity.StateReported> reportAnswers;
  private ActorRef<DeviceEntity.Located> locatedAnswers;
  /**
   * The address of the node whose entity took this connection as its session (one string
   * per node, shared through {@link LocalConnections}): null until an entity says so, and
   * once that node has left.
   */
  private String registeredAt;
  private long connectSentNanos;
  /** Connects sent again since the last answer: each doubles the wait before the next. */
  private int connectsUnanswered;
  /** When the device connected, by the wall clock: a newer session of the device wins over this one. */
  private final long openedAtMillis = System.currentTimeMillis();
  private final Set<String> subscriptions = new HashSet<>();
  private final TokenBucket publishAllowance;
  private final TokenBucket errorAllowance;
  private final long heartbeatIntervalNanos;
  private final long heartbeatTimeoutNanos;
  private long lastHeardNanos;
  private boolean pingedSinceHeard;
  private boolean closing;
  private boolean opened;

  private ConnectionActor(ActorContext<Command> context, TimerScheduler<Command> timers, String sessionId,
      DeviceIdentity identity, OutboundPort port, ConnectionServices services) {
    super(context);
    this.timers = timers;
    this.sessionId = sessionId;
    this.identity = identity;
    this.device = new EntityRoute<>(services.devices().apply(identity.deviceId()));
    this.port = port;
    this.services = services;
    this.settings = services.settings();
    this.metrics = services.metrics();
    this.asSubscriber = new Subscriber(context.getSelf(), port);
    this.publishAllowance = new TokenBucket(settings.publishRate(), settings.publishBurst(), services.nanoClock());
    this.errorAllowance = new TokenBucket(1, settings.maxProtocolErrors(), services.nanoClock());
    this.heartbeatIntervalNanos = settings.heartbeatInterval().toNanos();
    this.heartbeatTimeoutNanos = settings.heartbeatTimeout().toNanos();
    this.lastHeardNanos = services.nanoClock().getAsLong();

    if (services.connections().tryOpen(context.getSelf())) {
      opened = true;
      metrics.connectionOpened();
      port.offer(ServerFrames.welcome(sessionId, services.nodeId(), settings, services.maxTopicLength()));
      register();
      timers.startTimerWithFixedDelay(HeartbeatTick.INSTANCE, settings.heartbeatInterval().dividedBy(2));
    } else {
      metrics.connectionRefused(ErrorCode.TOO_MANY_CONNECTIONS);
      port.offer(ServerFrames.error(0, ErrorCode.TOO_MANY_CONNECTIONS, "this node is full or draining"));
      beginClose(ServerFrames.disconnect(DisconnectReason.SHUTDOWN, "this node is full or draining",
          Duration.ofSeconds(1)));
    }
  }

  /**
   * One case for every command: a receive builder's cases are built for each actor, and
   * this actor exists once per connected device.
   */
  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onCommand(Command command) {
    if (command instanceof Inbound inbound) {
      return onInbound(inbound);
    } else if (command instanceof PublishAccepted accepted) {
      return onPublishAccepted(accepted);
    } else if (command instanceof ReportAnswered answered) {
      return onReportAnswered(answered);
    } else if (command instanceof EntityLocated located) {
      return onEntityLocated(located);
    } else if (command instanceof EntityStopped stopped) {
      return onEntityStopped(stopped);
    } else if (command instanceof CheckReports) {
      return onCheckReports();
    } else if (command instanceof Registered registered) {
      return onRegistered(registered);
    } else if (command instanceof CheckRegistered) {
      return onCheckRegistered();
    } else if (command instanceof NodeRemoved removed) {
      return onNodeRemoved(removed);
    } else if (command instanceof PushDesired push) {
      return onPushDesired(push);
    } else if (command instanceof HeartbeatTick) {
      return onHeartbeatTick();
    } else if (command instanceof Leave leave) {
      return onLeave(leave);
    } else if (command instanceof InboundStarted started) {
      return onInboundStarted(started);
    } else if (command instanceof InboundCompleted || command instanceof InboundFailed
        || command instanceof CloseDeadline) {
      return Behaviors.stopped();
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onInboundStarted(InboundStarted started) {
    started.gate().frameHandled();
    return this;
  }

  private Behavior<Command> onInbound(Inbound inbound) {
    metrics.frameIn();
    lastHeardNanos = services.nanoClock().getAsLong();
    pingedSinceHeard = false;
    if (!closing) {
      handle(inbound.request());
    }
    inbound.gate().frameHandled();
    return this;
  }

  private void handle(ClientRequest request) {
    if (request instanceof ClientRequest.Subscribe subscribe) {
      subscribe(subscribe);
    } else if (request instanceof ClientRequest.Unsubscribe unsubscribe) {
      unsubscribe(unsubscribe);
    } else if (request instanceof ClientRequest.Publish publish) {
      publish(publish);
    } else if (request instanceof ClientRequest.ReportState report) {
      reportState(report);
    } else if (request instanceof ClientRequest.AckDesired ack) {
      device.next().tell(new DeviceEntity.AckDesired(ack.version()));
    } else if (request instanceof ClientRequest.Ping ping) {
      send(ServerFrames.pong(ping.requestId()));
    } else if (request instanceof ClientRequest.Invalid invalid) {
      refuse(invalid.requestId(), invalid.code(), invalid.message());
    }
    // A Pong only proves the device is alive, which receiving it already recorded.
  }

  private void subscribe(ClientRequest.Subscribe subscribe) {
    String topic = subscribe.topic();
    Topics.Verdict verdict = Topics.check(topic, services.maxTopicLength());
    if (verdict == Topics.Verdict.INVALID) {
      refuseTopic(subscribe.requestId(), topic, verdict);
      return;
    }
    if (!identity.maySubscribe(topic)) {
      refuse(subscribe.requestId(), ErrorCode.FORBIDDEN, "device " + identity.deviceId() + " may not subscribe to " + topic);
      return;
    }
    if (subscriptions.contains(topic)) {
      send(ServerFrames.subscribed(subscribe.requestId(), topic));
    } else if (subscriptions.size() >= settings.maxSubscriptions()) {
      refuse(subscribe.requestId(), ErrorCode.TOO_MANY_SUBSCRIPTIONS,
          "a connection may hold at most " + settings.maxSubscriptions() + " subscriptions");
    } else {
      subscriptions.add(topic);
      services.topics().subscribe(topic, asSubscriber, subscribe.requestId(), subscribe.resumeFrom());
    }
  }

  private void unsubscribe(ClientRequest.Unsubscribe unsubscribe) {
    if (subscriptions.remove(unsubscribe.topic())) {
      services.topics().unsubscribe(unsubscribe.topic(), asSubscriber, unsubscribe.requestId());
    } else {
      send(ServerFrames.unsubscribed(unsubscribe.requestId(), unsubscribe.topic()));
    }
  }

  private void publish(ClientRequest.Publish publish) {
    Topics.Verdict verdict = Topics.check(publish.topic(), services.maxTopicLength());
    if (verdict != Topics.Verdict.VALID) {
      refuseTopic(publish.requestId(), publish.topic(), verdict);
      return;
    }
    if (!identity.mayPublish(publish.topic())) {
      refuse(publish.requestId(), ErrorCode.FORBIDDEN,
          "device " + identity.deviceId() + " may not publish to " + publish.topic());
      return;
    }
    if (!publishAllowance.tryTake()) {
      rateLimited(publish.requestId(), "publish");
      return;
    }
    if (publish.requestId() != 0 && publishAcks == null) {
      publishAcks = getContext().messageAdapter(TopicEntity.Published.class, PublishAccepted::new);
    }
    ActorRef<TopicEntity.Published> replyTo =
        publish.requestId() == 0 ? getContext().getSystem().ignoreRef() : publishAcks;
    services.topics().publish(publish.topic(), publish.payload(), publish.requestId(), replyTo);
  }

  private void refuseTopic(long requestId, String topic, Topics.Verdict verdict) {
    ErrorCode code = verdict == Topics.Verdict.RESERVED ? ErrorCode.RESERVED_TOPIC : ErrorCode.INVALID_TOPIC;
    refuse(requestId, code, Topics.explain(topic, verdict, services.maxTopicLength()));
  }

  /** A state report counts against the same allowance as a publish. */
  private void reportState(ClientRequest.ReportState report) {
    if (!publishAllowance.tryTake()) {
      rateLimited(report.requestId(), "state report");
      return;
    }
    if (pendingReports == null) {
      pendingReports = new PendingReports<>(MAX_PENDING_REPORTS);
      reportAnswers = getContext().messageAdapter(DeviceEntity.StateReported.class, ReportAnswered::new);
      locatedAnswers = getContext().messageAdapter(DeviceEntity.Located.class, EntityLocated::new);
    }
    if (report.requestId() == 0) {
      // No answer wanted: the entity answers only a refusal, which comes back as correlation 0.
      sendToEntity(new DeviceEntity.ReportState(report.fields(), report.replace(), report.remove(), 0,
          reportAnswers));
      return;
    }
    if (pendingReports.isFull()) {
      metrics.error(ErrorCode.UNAVAILABLE);
      send(ServerFrames.error(report.requestId(), ErrorCode.UNAVAILABLE, MAX_PENDING_REPORTS
          + " state reports already wait for the device's state to answer; report dropped"));
      return;
    }
    // One timer per connection, not one per report: an ask would schedule a timeout and a
    // temporary actor for every report. It re-arms itself while reports wait.
    if (!timers.isTimerActive(CheckReports.INSTANCE)) {
      timers.startSingleTimer(CheckReports.INSTANCE, settings.reportResendAfter());
    }
    sendToEntity(pendingReports.sent(report.requestId(), services.nanoClock().getAsLong(),
        (number, oldestWaiting) -> new DeviceEntity.ReportState(report.fields(), report.replace(), report.remove(),
            number, oldestWaiting, reportAnswers)));
  }

  /** Sends a report, then, while reports go through sharding, asks the entity where it is. */
  private void sendToEntity(DeviceEntity.ReportState report) {
    device.next().tell(report);
    long question = device.nextQuestion();
    if (question != 0) {
      device.sharded().tell(new DeviceEntity.Locate(question, locatedAnswers));
    }
  }

  private Behavior<Command> onEntityLocated(EntityLocated answer) {
    ActorRef<DeviceEntity.Command> entity = answer.located().entity();
    if (device.located(answer.located().question(), entity)) {
      getContext().watchWith(entity, new EntityStopped(entity));
    }
    return this;
  }

  /**
   * Tells the device's entity that this connection is the device's session, and checks
   * later that it answered: through sharding a Connect is dropped if it reaches a region
   * while the entity's shard is handed to another node.
   */
  private void register() {
    // Stamped before it leaves, so that the wait counts from no later than the sending.
    connectSentNanos = services.nanoClock().getAsLong();
    device.next().tell(new DeviceEntity.Connect(sessionId, services.nodeId(), getContext().getSelf(),
        identity.groups(), openedAtMillis));
    long wait = connectWaitNanos();
    // A little later at random, so that connections which registered together do not all ask again together.
    timers.startSingleTimer(CheckRegistered.INSTANCE,
        Duration.ofNanos(wait + ThreadLocalRandom.current().nextLong(wait / 4 + 1)));
  }

  /**
   * How long a Connect waits for its answer: report-resend-after, doubled for each one sent
   * again, up to {@link #CONNECT_RESEND_MAX}. An answer that is only slow (the entity's node
   * is busy) is not made slower by copies; one dropped in a hand-off is sent again soon.
   */
  private long connectWaitNanos() {
    long first = settings.reportResendAfter().toNanos();
    return Math.min(first << Math.min(connectsUnanswered, 20), CONNECT_RESEND_MAX.toNanos());
  }

  /** The latest word says where the entity is: after a move, its successor says so. */
  private Behavior<Command> onRegistered(Registered registered) {
    if (registered.sessionId().equals(sessionId)) {
      registeredAt = services.connections().entityNode(registered.entityNode());
      connectsUnanswered = 0;
      timers.cancel(CheckRegistered.INSTANCE);
    }
    return this;
  }

  /**
   * The node that held the device's entity left. Gracefully, the entity's successor already
   * knows this session and only answers; after a crash this is how it learns that the
   * device is connected.
   */
  private Behavior<Command> onNodeRemoved(NodeRemoved removed) {
    if (removed.node().equals(registeredAt) && !closing) {
      registeredAt = null;
      connectsUnanswered = DOUBLINGS_AFTER_NODE_REMOVED;
      register();
    }
    return this;
  }

  private Behavior<Command> onCheckRegistered() {
    if (registeredAt != null || closing) {
      return this;
    }
    long waited = services.nanoClock().getAsLong() - connectSentNanos;
    long wait = connectWaitNanos();
    if (waited >= wait) {
      metrics.connectResent();
      connectsUnanswered++;
      register();
    } else {
      timers.startSingleTimer(CheckRegistered.INSTANCE, Duration.ofNanos(wait - waited));
    }
    return this;
  }

  /**
   * The entity stopped, most likely because its shard moved. Pekko delivers what the entity
   * sent before it stopped ahead of this notice (across nodes too), so the reports still
   * waiting were never handled: they go again through sharding, which holds them until the
   * shard has its new home.
   */
  private Behavior<Command> onEntityStopped(EntityStopped stopped) {
    if (device.stopped(stopped.entity()) && !pendingReports.isEmpty()) {
      resendWaitingReports();
    }
    return this;
  }

  /**
   * Sends every waiting report again, oldest first, each stamped with the oldest number
   * waiting now. The entity applies each once and in order (copies are answered again, a
   * report behind a lost one waits for its next sending), so the device's state comes out
   * as if nothing was lost.
   */
  private void resendWaitingReports() {
    long oldest = pendingReports.oldestWaiting();
    List<DeviceEntity.ReportState> reports = pendingReports.resend(services.nanoClock().getAsLong());
    metrics.reportsResent(reports.size()); // counted first: whoever sees a copy sees it counted
    for (DeviceEntity.ReportState report : reports) {
      device.next().tell(report.withOldestWaiting(oldest));
    }
  }

  private Behavior<Command> onReportAnswered(ReportAnswered answered) {
    DeviceEntity.StateReported reply = answered.reply();
    long requestId = reply.correlationId() == 0 ? 0 : pendingReports.answered(reply.correlationId());
    if (requestId == PendingReports.UNKNOWN) {
      return this; // given up on already, and answered so
    }
    if (reply.accepted()) {
      send(ServerFrames.stateAccepted(requestId, reply.version()));
    } else {
      refuse(requestId, reply.error(), reply.message());
    }
    return this;
  }

  /**
   * Gives up on reports waiting longer than report-timeout, then sends the rest again if
   * the oldest has waited report-resend-after since it was last sent: through sharding it
   * may have been dropped while its shard moved.
   */
  private Behavior<Command> onCheckReports() {
    long now = services.nanoClock().getAsLong();
    long timeout = settings.reportTimeout().toNanos();
    long resendAfter = settings.reportResendAfter().toNanos();
    for (long requestId : pendingReports.overdue(now, timeout)) {
      metrics.error(ErrorCode.UNAVAILABLE);
      send(ServerFrames.error(requestId, ErrorCode.UNAVAILABLE, "device state did not answer in time"));
    }
    if (pendingReports.resendDue(now, resendAfter)) {
      resendWaitingReports();
    }
    if (!pendingReports.isEmpty()) {
      timers.startSingleTimer(CheckReports.INSTANCE,
          Duration.ofNanos(pendingReports.nanosUntilNextCheck(now, timeout, resendAfter)));
    }
    return this;
  }

  private Behavior<Command> onPushDesired(PushDesired push) {
    send(ServerFrames.desired(push.version(), push.desired(), push.delta()));
    return this;
  }

  private Behavior<Command> onPublishAccepted(PublishAccepted accepted) {
    TopicEntity.Published published = accepted.published();
    send(ServerFrames.published(published.correlationId(), published.topic(), published.sequence()));
    return this;
  }

  private Behavior<Command> onHeartbeatTick() {
    long silentNanos = services.nanoClock().getAsLong() - lastHeardNanos;
    if (silentNanos >= heartbeatTimeoutNanos) {
      closeFor(DisconnectReason.HEARTBEAT_TIMEOUT, "nothing received for " + settings.heartbeatTimeout().toSeconds() + " s");
    } else if (silentNanos >= heartbeatIntervalNanos && !pingedSinceHeard) {
      pingedSinceHeard = true;
      send(ServerFrames.ping());
    }
    return this;
  }

  private Behavior<Command> onLeave(Leave leave) {
    if (!closing) {
      metrics.connectionClosed(DisconnectReason.SHUTDOWN);
      beginClose(ServerFrames.disconnect(DisconnectReason.SHUTDOWN, "node is shutting down; reconnect",
          leave.reconnectAfter()));
    }
    return this;
  }

  private Behavior<Command> onPostStop(PostStop stop) {
    services.connections().closed(getContext().getSelf());
    if (opened) {
      device.sharded().tell(new DeviceEntity.Disconnect(sessionId));
    }
    if (!closing && !port.isClosed()) {
      metrics.connectionClosed("by_device");
    }
    // Ends the transport too, should the actor stop before its stream.
    port.close(ServerFrames.disconnect(DisconnectReason.SHUTDOWN, "connection closed", Duration.ZERO));
    return this;
  }

  /** Publishes and state reports share one allowance; over it the request is dropped and answered. */
  private void rateLimited(long requestId, String what) {
    metrics.dropped(NodeMetrics.DropReason.RATE_LIMITED);
    metrics.error(ErrorCode.RATE_LIMITED);
    send(ServerFrames.error(requestId, ErrorCode.RATE_LIMITED, "publishes and state reports over "
        + settings.publishRate() + "/s (burst " + settings.publishBurst() + "); " + what + " dropped"));
  }

  /** Answers a request with an error; too many invalid frames close the connection. */
  private void refuse(long requestId, ErrorCode code, String message) {
    metrics.error(code);
    send(ServerFrames.error(requestId, code, message));
    if (!errorAllowance.tryTake()) {
      closeFor(DisconnectReason.PROTOCOL_VIOLATION, "too many invalid frames");
    }
  }

  private void closeFor(DisconnectReason reason, String message) {
    if (!closing) {
      metrics.connectionClosed(reason);
      beginClose(ServerFrames.disconnect(reason, message, Duration.ZERO));
    }
  }

  private void beginClose(OutboundFrame lastFrame) {
    closing = true;
    timers.cancel(HeartbeatTick.INSTANCE);
    port.close(lastFrame);
    // The transport ends the stream once the last frame is out; this is the backstop.
    timers.startSingleTimer(CloseDeadline.INSTANCE, settings.closeTimeout().multipliedBy(2));
  }

  private void send(OutboundFrame frame) {
    port.offer(frame);
  }
}
