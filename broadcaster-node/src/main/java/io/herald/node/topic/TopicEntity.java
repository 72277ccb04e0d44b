package io.herald.node.topic;

import com.google.protobuf.ByteString;
import io.herald.node.cluster.ClusterMessage;
import io.herald.node.cluster.NextHome;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A topic's home in the cluster, wherever Cluster Sharding places it. It stamps each
 * message with the topic's next sequence and sends it once to every node that has
 * subscribers (that node's {@link TopicRegistry}), which fans it out locally. Messages
 * stamped while earlier ones still wait for a node leave together in one batch.
 *
 * <p>It keeps the topic's latest messages ({@link TopicHistory}, unless the topic is a
 * system one or history is off; in the room all the node's homes share, {@link HistoryBudget},
 * given back as they expire and when it stops) for devices that resume, also while no node has
 * subscribers any more, and stays until they have expired; a topic no node has
 * subscribed to since its home started keeps nothing. Within one <em>epoch</em>, a random name
 * each home starts with, sequences and kept messages carry on; a home handed off gives
 * its next home its epoch, sequence and kept messages ({@link Restore}), so a device
 * resuming after a drain misses nothing; a starting home answers a resume from an epoch
 * other than its own only once that restore is in, or once its recovery found that no node
 * heard of a hand-off (or the recovery timeout passed). Nothing is stored: after a crash
 * the next home starts a new epoch, and resuming devices learn that they missed messages.
 *
 * <p>A home that starts (first use, a rebalance, a crash) asks every node's registry
 * whether it has subscribers and which sequence it saw last, and holds publishes until
 * those of the nodes that are up have answered, so neither the subscriptions nor the
 * order are lost when a home moves. A home handed off tells every node it knows of so,
 * after its last delivery there; when one of them says so, its next home also waits for the
 * restore before it stamps anything. Registries also register again when they see their
 * home stop.
 *
 * <p>A topic with a {@link TopicInterest} publisher (a device's own topics) keeps that
 * publisher told whether anyone follows, confirms a node's subscribers only once the
 * publisher has said it publishes, and watches it: a publisher that stops (its shard
 * moved, its node crashed) is told again, in its next incarnation, while anyone follows.
 */
public final class TopicEntity extends AbstractBehavior<TopicEntity.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "topic");

  public interface Command extends ClusterMessage {}

  /** Stamps and sends a message; answered with {@link Published}. */
  public record Publish(ByteString payload, long correlationId, ActorRef<Published> replyTo) implements Command {}

  /** A publish was accepted; sequence 0 means no node had subscribers and the topic keeps nothing. */
  public record Published(String topic, long sequence, long correlationId) implements ClusterMessage {}

  /** A node has subscribers; answered with {@link TopicRegistry.Registered}. */
  public record Register(ActorRef<TopicRegistry.Command> registry, long lastSequence) implements Command {}

  /** A node has no subscribers any more. */
  public record Unregister(ActorRef<TopicRegistry.Command> registry) implements Command {}

  /**
   * A registry's answer to a starting home; {@code restoreComing} when the earlier home told
   * it that it handed its messages on ({@link TopicRegistry.HandedOff}).
   */
  public record SubscriptionReport(ActorRef<TopicRegistry.Command> registry, boolean subscribed, long lastSequence,
      boolean restoreComing) implements Command {}

  /** The topic's publisher answers {@link TopicInterest#followed}: it publishes from now on. */
  public record PublisherFollowing(long request, ActorRef<?> publisher) implements Command {}

  /**
   * A node's topic actor asks what the home keeps for subscribers resuming from
   * {@code resumeEpochs}, answered with {@link TopicRegistry.History} to {@code registry}
   * after every message owed to that node so far.
   */
  public record ReadHistory(ActorRef<TopicRegistry.Command> registry, long request, Set<String> resumeEpochs)
      implements Command {}

  /** What a home handed off gives its next one: its epoch, sequence and kept messages (oldest first). */
  public record Restore(String epoch, long sequence, List<Message> kept) implements Command {}

  /** One stamped message. */
  public record Message(long sequence, ByteString payload, long publishedAtMillis) {}

  /** Sharding stops a home with this (a hand-off or a passivation); package-visible for tests. */
  enum HandOff implements Command {
    INSTANCE
  }

  private record RegistriesFound(Set<ActorRef<TopicRegistry.Command>> registries) implements Command {}

  private enum RecoveryTimedOut implements Command {
    INSTANCE
  }

  /** An earlier home's restore would have arrived by now: answer the resumes held for it. */
  private enum RestoreWaitOver implements Command {
    INSTANCE
  }

  private enum Flush implements Command {
    INSTANCE
  }

  private enum Idle implements Command {
    INSTANCE
  }

  /** Gives back the room of kept messages that expired on a topic no longer published to. */
  private enum ExpireKept implements Command {
    INSTANCE
  }

  /** The publisher has not answered yet: tell it again (the first word may have been lost). */
  private enum FollowAgain implements Command {
    INSTANCE
  }

  private record PublisherStopped(ActorRef<?> publisher) implements Command {}

  private record RegistryGone(ActorRef<TopicRegistry.Command> registry) implements Command {}

  /** Starts sharding for topic homes on this node; returns the region that reaches them. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, TopicSettings settings,
      TopicInterest interest, HistoryBudget historyBudget, NodeMetrics metrics) {
    return ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
        entity -> create(entity.getEntityId(), settings, interest, historyBudget, metrics, entity.getShard()))
        .withStopMessage(HandOff.INSTANCE));
  }

  static Behavior<Command> create(String topic, TopicSettings settings, TopicInterest interest,
      HistoryBudget historyBudget, NodeMetrics metrics, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(settings.recoveryBuffer(),
        stash -> new TopicEntity(context, timers, stash, topic, settings, interest, historyBudget, metrics, shard)
            .recover())));
  }

  private final TimerScheduler<Command> timers;
  private final StashBuffer<Command> stash;
  private final String topic;
  private final TopicSettings settings;
  private final NodeMetrics metrics;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** Every registry with subscribers, and the messages waiting to leave for it. */
  private final Map<ActorRef<TopicRegistry.Command>, List<Message>> nodes = new HashMap<>();
  private boolean registriesFound;
  /**
   * Every registry this home has heard of, kept only by a topic that keeps messages: each is
   * told of a hand-off, subscribed or not, since the devices of a node may resume on any.
   */
  private final Set<ActorRef<TopicRegistry.Command>> knownRegistries = new HashSet<>();
  private final Set<ActorRef<TopicRegistry.Command>> awaitingReports = new HashSet<>();
  /**
   * A node was told the earlier home handed on what it keeps: recovery ends once that
   * restore is in, so this home neither stamps sequences the earlier one used nor answers
   * resumes in an epoch of its own.
   */
  private boolean restoreComing;
  private long sequence;
  private String epoch = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  /** Null for a topic that keeps no messages. */
  private final TopicHistory history;
  /**
   * Whether a node has subscribed since this home started (or an earlier home's history was
   * taken over): only then are publishes kept while nobody subscribes, for devices that
   * come back. A topic nobody follows keeps nothing, however many are published to.
   */
  private boolean everSubscribed;
  /** The first sequence this home stamped, or 0: an earlier home's restore must end right before it. */
  private long firstStampedHere;
  /**
   * Whether an earlier home's restore arrived, is not coming (no node heard of a hand-off),
   * or would have by now. Until then, resumes from an epoch other than this home's wait
   * ({@link #readsAwaitingRestore}): they may be resuming from the epoch the restore carries
   * on, and would otherwise be told they missed messages that are on their way.
   */
  private boolean restoreSettled;
  private final List<ReadHistory> readsAwaitingRestore = new ArrayList<>();
  private boolean flushRequested;
  /** Null for a topic whose publishers need not know whether anyone follows. */
  private final TopicInterest interest;
  /** The publisher that answered the latest "followed", watched; null once "unfollowed" went out. */
  private ActorRef<?> followingPublisher;
  private long followRequest;
  /** Registries whose confirmation waits for the publisher's answer. */
  private final Set<ActorRef<TopicRegistry.Command>> awaitingPublisher = new HashSet<>();

  private TopicEntity(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
      String topic, TopicSettings settings, TopicInterest interest, HistoryBudget historyBudget, NodeMetrics metrics,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(context);
    this.timers = timers;
    this.stash = stash;
    this.topic = topic;
    this.settings = settings;
    this.interest = interest.tracks(topic) ? interest : null;
    this.history = this.interest == null && settings.history().keptFor(topic)
        ? new TopicHistory(settings.history(), historyBudget) : null;
    this.metrics = metrics;
    this.shard = shard;
    this.restoreSettled = history == null;
  }

  private Behavior<Command> recover() {
    ActorRef<Receptionist.Listing> listings = getContext().messageAdapter(Receptionist.Listing.class,
        listing -> new RegistriesFound(listing.getServiceInstances(TopicRegistry.SERVICE_KEY)));
    getContext().getSystem().receptionist().tell(Receptionist.find(TopicRegistry.SERVICE_KEY, listings));
    timers.startSingleTimer(RecoveryTimedOut.INSTANCE, settings.recoveryTimeout());
    if (!restoreSettled) {
      timers.startSingleTimer(RestoreWaitOver.INSTANCE, settings.recoveryTimeout());
    }
    return Behaviors.receive(Command.class)
        .onMessage(RegistriesFound.class, this::onRegistriesFound)
        .onMessage(SubscriptionReport.class, this::onRecoveryReport)
        .onMessage(RecoveryTimedOut.class, timedOut -> {
          metrics.topicRecovered(false);
          return active();
        })
        .onMessage(RegistryGone.class, this::onRegistryGoneWhileRecovering)
        .onMessage(Restore.class, restore -> {
          onRestore(restore);
          return recoveredIfDone();
        })
        .onMessage(RestoreWaitOver.class, over -> {
          settleRestore();
          return recoveredIfDone();
        })
        .onMessage(HandOff.class, handOff -> onHandOff())
        .onAnyMessage(this::hold)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /**
   * Asks every registry, and waits for those of nodes that are up: a node that is leaving
   * may already have stopped (its devices move elsewhere and resume), and its answer, if it
   * comes, counts as a late one.
   */
  private Behavior<Command> onRegistriesFound(RegistriesFound found) {
    registriesFound = true;
    if (history != null) {
      knownRegistries.addAll(found.registries());
    }
    Cluster cluster = Cluster.get(getContext().getSystem());
    for (ActorRef<TopicRegistry.Command> registry : found.registries()) {
      registry.tell(new TopicRegistry.ReportSubscription(topic, getContext().getSelf()));
      if (isUp(cluster, registry.path().address())) {
        awaitingReports.add(registry);
      }
    }
    return recoveredIfDone();
  }

  private static boolean isUp(Cluster cluster, Address address) {
    if (!address.hasGlobalScope()) {
      return true; // this node's own registry
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return member.status().equals(MemberStatus.up()) || member.status().equals(MemberStatus.weaklyUp());
      }
    }
    return false;
  }

  private Behavior<Command> onRecoveryReport(SubscriptionReport report) {
    sequence = Math.max(sequence, report.lastSequence());
    restoreComing |= report.restoreComing();
    if (report.subscribed()) {
      addNode(report.registry());
    }
    awaitingReports.remove(report.registry());
    return recoveredIfDone();
  }

  private Behavior<Command> onRegistryGoneWhileRecovering(RegistryGone gone) {
    forgetRegistry(gone.registry());
    awaitingReports.remove(gone.registry());
    return recoveredIfDone();
  }

  /** Every node has answered, and the earlier home's restore is in if one is coming. */
  private Behavior<Command> recoveredIfDone() {
    boolean done = registriesFound && awaitingReports.isEmpty() && (!restoreComing || restoreSettled);
    if (!done) {
      return Behaviors.same();
    }
    metrics.topicRecovered(true);
    if (!restoreComing) {
      // No node that is up heard of a hand-off (every node a home knows is told): a first
      // start or a crash, so nothing is on its way and resumes are answered from now on.
      settleRestore();
    }
    return active();
  }

  private Behavior<Command> hold(Command command) {
    if (stash.isFull()) {
      metrics.dropped(NodeMetrics.DropReason.TOPIC_RECOVERY);
    } else {
      stash.stash(command);
    }
    return Behaviors.same();
  }

  private Behavior<Command> active() {
    timers.cancel(RecoveryTimedOut.INSTANCE);
    awaitingReports.clear();
    idleIfNoNodes();
    return stash.unstashAll(this);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::onPublish)
        .onMessage(Register.class, this::onRegister)
        .onMessage(Unregister.class, unregister -> removeNode(unregister.registry()))
        .onMessage(SubscriptionReport.class, this::onLateReport)
        .onMessage(RegistryGone.class, gone -> forgetRegistry(gone.registry()))
        .onMessage(Flush.class, flush -> onFlush())
        .onMessage(Idle.class, idle -> onIdle())
        .onMessage(PublisherFollowing.class, this::onPublisherFollowing)
        .onMessage(FollowAgain.class, again -> onFollowAgain())
        .onMessage(PublisherStopped.class, this::onPublisherStopped)
        .onMessage(ReadHistory.class, this::onReadHistory)
        .onMessage(Restore.class, this::onRestore)
        .onMessage(RestoreWaitOver.class, over -> settleRestore())
        .onMessage(HandOff.class, handOff -> onHandOff())
        .onMessage(ExpireKept.class, expire -> onExpireKept())
        // Answers of a recovery that already ended by timeout.
        .onMessage(RegistriesFound.class, found -> this)
        .onMessage(RecoveryTimedOut.class, timedOut -> this)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onPublish(Publish publish) {
    if (nodes.isEmpty() && !keepsWhileNobodySubscribes()) {
      if (interest != null) {
        forgetPublisher();
        interest.unfollowed(topic, getContext().getSelf());
      }
      publish.replyTo().tell(new Published(topic, 0, publish.correlationId()));
      return this;
    }
    sequence++;
    if (firstStampedHere == 0) {
      firstStampedHere = sequence;
    }
    Message message = new Message(sequence, publish.payload(), System.currentTimeMillis());
    if (history != null) {
      history.add(message);
      expireKeptLater();
    }
    for (Map.Entry<ActorRef<TopicRegistry.Command>, List<Message>> node : nodes.entrySet()) {
      if (!awaitingPublisher.isEmpty() && awaitingPublisher.contains(node.getKey())) {
        // Not confirmed yet: its subscribers are owed only what follows their confirmation.
        continue;
      }
      List<Message> waiting = node.getValue();
      waiting.add(message);
      if (waiting.size() >= settings.maxDeliveryBatch()) {
        send(node.getKey(), waiting);
      }
    }
    // Whatever is stamped before this reaches the front of the mailbox leaves with it.
    if (!flushRequested && !nodes.isEmpty()) {
      flushRequested = true;
      getContext().getSelf().tell(Flush.INSTANCE);
    }
    publish.replyTo().tell(new Published(topic, sequence, publish.correlationId()));
    return this;
  }

  private Behavior<Command> onRegister(Register register) {
    sequence = Math.max(sequence, register.lastSequence());
    addNode(register.registry());
    return this;
  }

  private Behavior<Command> onLateReport(SubscriptionReport report) {
    sequence = Math.max(sequence, report.lastSequence());
    if (report.subscribed()) {
      addNode(report.registry());
    }
    return this;
  }

  /** A node that is gone: told of no hand-off, sent nothing more. */
  private Behavior<Command> forgetRegistry(ActorRef<TopicRegistry.Command> registry) {
    knownRegistries.remove(registry);
    return removeNode(registry);
  }

  /** Forgets a node (unregistered or gone); what still waited to leave for it is dropped with it. */
  private Behavior<Command> removeNode(ActorRef<TopicRegistry.Command> registry) {
    if (nodes.remove(registry) != null) {
      getContext().unwatch(registry);
      awaitingPublisher.remove(registry);
      idleIfNoNodes();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onPublisherFollowing(PublisherFollowing answer) {
    if (answer.request() == followRequest && followingPublisher == null && !nodes.isEmpty()) {
      followingPublisher = answer.publisher();
      getContext().watchWith(followingPublisher, new PublisherStopped(followingPublisher));
      timers.cancel(FollowAgain.INSTANCE);
      awaitingPublisher.forEach(this::confirm);
      awaitingPublisher.clear();
    }
    return this;
  }

  private Behavior<Command> onFollowAgain() {
    if (followingPublisher == null && !nodes.isEmpty()) {
      interest.followed(topic, getContext().getSelf(), followRequest);
    } else {
      timers.cancel(FollowAgain.INSTANCE);
    }
    return this;
  }

  /** Its next incarnation starts out publishing nothing: tell it while anyone follows. */
  private Behavior<Command> onPublisherStopped(PublisherStopped stopped) {
    if (stopped.publisher().equals(followingPublisher)) {
      followingPublisher = null;
      if (!nodes.isEmpty()) {
        askToFollow();
      }
    }
    return this;
  }

  private void forgetPublisher() {
    if (followingPublisher != null) {
      getContext().unwatch(followingPublisher);
      followingPublisher = null;
    }
  }

  private Behavior<Command> onFlush() {
    flushRequested = false;
    nodes.forEach((registry, waiting) -> {
      if (!waiting.isEmpty()) {
        send(registry, waiting);
      }
    });
    return this;
  }

  private Behavior<Command> onIdle() {
    if (nodes.isEmpty()) {
      long now = System.currentTimeMillis();
      if (history != null && !history.isEmpty(now)) {
        // Kept for devices that resume: stay until the newest has expired.
        timers.startSingleTimer(Idle.INSTANCE, Duration.ofMillis(Math.max(1, history.emptyAtMillis() - now)));
      } else {
        shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      }
    }
    return this;
  }

  /** A topic published to expires its history as it adds; one that went quiet, at this timer. */
  private void expireKeptLater() {
    if (!timers.isTimerActive(ExpireKept.INSTANCE)) {
      timers.startSingleTimer(ExpireKept.INSTANCE, settings.history().ttl());
    }
  }

  private Behavior<Command> onExpireKept() {
    if (!history.isEmpty(System.currentTimeMillis())) {
      expireKeptLater();
    }
    return this;
  }

  /** Stopped, handed off or failed: what it kept leaves the node's room (a hand-off sent it on). */
  private Behavior<Command> onPostStop(PostStop stopped) {
    if (history != null) {
      history.release();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onReadHistory(ReadHistory read) {
    if (!restoreSettled && read.resumeEpochs().stream().anyMatch(resumeEpoch -> !resumeEpoch.equals(epoch))) {
      readsAwaitingRestore.add(read);
      return Behaviors.same();
    }
    answer(read);
    return Behaviors.same();
  }

  private void answer(ReadHistory read) {
    // What the node is still owed leaves first: the answer overtakes no message up to its sequence.
    List<Message> waiting = nodes.get(read.registry());
    if (waiting != null && !waiting.isEmpty()) {
      send(read.registry(), waiting);
    }
    List<Message> kept = history == null ? List.of() : history.messages(System.currentTimeMillis());
    read.registry().tell(new TopicRegistry.History(topic, read.request(), epoch, sequence, kept));
  }

  /** The earlier home's restore is taken over, too late, or not coming: resumes are answered from now on. */
  private Behavior<Command> settleRestore() {
    if (!restoreSettled) {
      restoreSettled = true;
      timers.cancel(RestoreWaitOver.INSTANCE);
      readsAwaitingRestore.forEach(this::answer);
      readsAwaitingRestore.clear();
    }
    return Behaviors.same();
  }

  /** Hands the epoch, sequence and kept messages on, so devices resume across the move. */
  private Behavior<Command> onHandOff() {
    // What is stamped leaves before the home stops: its publishers were told it was accepted.
    // Resumes still waiting for a restore go unanswered: their nodes ask the next home again.
    onFlush();
    long now = System.currentTimeMillis();
    // A passivating home has neither nodes nor messages: nothing to hand on, nothing restarts.
    if (history != null && (!nodes.isEmpty() || !history.isEmpty(now))
        && NextHome.send(getContext(), ENTITY_TYPE_KEY, topic, new Restore(epoch, sequence, history.messages(now)))) {
      // After the last delivery to each node. Every registry is told, subscribed or not: when
      // the topic's subscribers were all on a leaving node (whose registry nobody waits for),
      // another node's word is what keeps the next home from answering a publish before the
      // restore with "nobody follows" and keeping nothing for the devices coming back.
      knownRegistries.forEach(registry -> registry.tell(new TopicRegistry.HandedOff(topic, sequence)));
    }
    return Behaviors.stopped();
  }

  /**
   * Takes over the earlier home's epoch and kept messages when they end right before this
   * home's own. Publishes can overtake a restore on its way (they come through other
   * nodes' regions), and this home then went on from the last sequence the nodes saw,
   * which is the earlier home's last when every message reached a node. Otherwise the
   * restore is too late: devices resuming learn that they may have missed messages.
   */
  private Behavior<Command> onRestore(Restore restore) {
    boolean endsRightBefore = firstStampedHere > 0
        ? restore.sequence() + 1 == firstStampedHere
        : restore.sequence() >= sequence;
    if (history == null) {
      return settleRestore();
    }
    metrics.topicRestore(endsRightBefore);
    if (!endsRightBefore) {
      return settleRestore();
    }
    long now = System.currentTimeMillis();
    List<Message> own = history.messages(now);
    List<Message> kept = new ArrayList<>();
    // Kept messages are consecutive up to the latest: the earlier ones join only if none of this home's is gone.
    if (firstStampedHere == 0 || (!own.isEmpty() && own.get(0).sequence() == firstStampedHere)) {
      kept.addAll(restore.kept());
    }
    kept.addAll(own);
    epoch = restore.epoch();
    everSubscribed = true;
    sequence = Math.max(sequence, restore.sequence());
    history.restore(kept, now);
    expireKeptLater();
    // Nodes confirmed since this home started were told its own epoch.
    for (ActorRef<TopicRegistry.Command> registry : nodes.keySet()) {
      if (!awaitingPublisher.contains(registry)) {
        confirm(registry);
      }
    }
    return settleRestore();
  }

  private boolean keepsWhileNobodySubscribes() {
    return history != null && everSubscribed;
  }

  private void addNode(ActorRef<TopicRegistry.Command> registry) {
    everSubscribed = true;
    if (history != null) {
      knownRegistries.add(registry);
    }
    if (!nodes.containsKey(registry)) {
      nodes.put(registry, new ArrayList<>());
      getContext().watchWith(registry, new RegistryGone(registry));
      timers.cancel(Idle.INSTANCE);
    }
    if (interest != null && followingPublisher == null) {
      // The node's subscribers are confirmed once the publisher says it publishes.
      if (!timers.isTimerActive(FollowAgain.INSTANCE)) {
        askToFollow();
      }
      awaitingPublisher.add(registry);
    } else {
      confirm(registry);
    }
  }

  private void askToFollow() {
    followRequest++;
    interest.followed(topic, getContext().getSelf(), followRequest);
    timers.startTimerWithFixedDelay(FollowAgain.INSTANCE, settings.recoveryTimeout());
  }

  private void confirm(ActorRef<TopicRegistry.Command> registry) {
    // Sent before any message for the node, so its subscribers are confirmed first.
    registry.tell(new TopicRegistry.Registered(topic, getContext().getSelf(), epoch, sequence));
  }

  private void send(ActorRef<TopicRegistry.Command> registry, List<Message> waiting) {
    registry.tell(new TopicRegistry.Deliver(topic, List.copyOf(waiting)));
    waiting.clear();
  }

  private void idleIfNoNodes() {
    if (nodes.isEmpty()) {
      timers.startSingleTimer(Idle.INSTANCE, settings.homeIdleTimeout());
    }
  }
}
