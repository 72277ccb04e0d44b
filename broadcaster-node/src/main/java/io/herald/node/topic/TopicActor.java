package io.herald.node.topic;

import io.herald.node.connection.OutboundFrame;
import io.herald.node.connection.OutboundPort;
import io.herald.node.connection.ServerFrames;
import io.herald.node.connection.TopicMessageFrame;
import io.herald.node.metrics.NodeMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.Routers;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One topic's subscribers on this node. Encodes each message its {@link TopicEntity}
 * stamped once, and offers it to every subscriber's outbound port: directly while the
 * topic is small, through a pool of {@link FanoutWorker}s once it is large. Subscriptions
 * are confirmed once the topic's home has this node registered, so a subscriber gets
 * every message after the sequence its confirmation names.
 *
 * <p>A subscriber that resumes waits for what the home keeps: the subscribers waiting
 * are asked for together, one request at a time, and the answer comes by the same path as
 * the deliveries, after every message up to its sequence. Each gets its confirmation, the
 * kept messages after its resume point when nothing it missed is gone, and then joins the
 * others for what follows.
 */
public final class TopicActor extends AbstractBehavior<TopicActor.Command> {

  public interface Command {}

  /** Unanswered requests for what the home keeps before the subscribers waiting go without. */
  static final int MAX_UNANSWERED_REQUESTS = 2;

  /** Adds a subscriber; with a resume point, the messages since then that the home keeps come first. */
  public record AddSubscriber(Subscriber subscriber, long requestId, Optional<ResumePoint> resumeFrom)
      implements Command {}

  public record RemoveSubscriber(Subscriber subscriber, long requestId) implements Command {}

  /** The topic's home has this node registered: every message after {@code sequence} comes here. */
  record Registered(String epoch, long sequence) implements Command {}

  /** The home's answer to a request for what it keeps (see {@link TopicRegistry.History}). */
  record History(long request, String epoch, long sequence, List<TopicEntity.Message> kept) implements Command {}

  record Deliver(List<TopicEntity.Message> messages) implements Command {}

  /** Sent by the registry once the topic is idle; queued work is finished first. */
  enum Stop implements Command {
    INSTANCE
  }

  private record SubscriberTerminated(ActorRef<?> owner) implements Command {}

  private record WorkersStopped() implements Command {}

  /** The home has not answered the request for what it keeps: ask again (it may have moved). */
  private enum HistoryOverdue implements Command {
    INSTANCE
  }

  private record HeldConfirmation(Subscriber subscriber, long requestId) {}

  private record WaitingResume(Subscriber subscriber, long requestId, ResumePoint from) {}

  public static Behavior<Command> create(String topic, ActorRef<TopicRegistry.Command> registry,
      TopicSettings settings, NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new TopicActor(context, timers, topic, registry, settings, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final String topic;
  private final ActorRef<TopicRegistry.Command> registry;
  private final TopicSettings settings;
  private final NodeMetrics metrics;
  private final Map<ActorRef<?>, Subscriber> subscribers = new HashMap<>();
  private long subscribesReceived;
  private boolean registered;
  private String epoch = "";
  /** The last sequence this node has for the topic: what new subscribers start after. */
  private long lastSequence;
  /** Confirmations held until the home has this node registered. */
  private final List<HeldConfirmation> awaitingConfirmation = new ArrayList<>();
  /** Subscribers to resume with the next request for what the home keeps. */
  private final Map<ActorRef<?>, WaitingResume> toAskFor = new LinkedHashMap<>();
  /** Subscribers the request in flight will resume. */
  private final Map<ActorRef<?>, WaitingResume> askedFor = new LinkedHashMap<>();
  private long historyRequest;
  private boolean historyRequestInFlight;
  /** Requests in a row the home did not answer in time. */
  private int unansweredRequests;
  /** Null while the topic delivers directly; once set, the topic stays pooled. */
  private ActorRef<FanoutWorker.Command> workers;

  private TopicActor(ActorContext<Command> context, TimerScheduler<Command> timers, String topic,
      ActorRef<TopicRegistry.Command> registry, TopicSettings settings, NodeMetrics metrics) {
    super(context);
    this.timers = timers;
    this.topic = topic;
    this.registry = registry;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(AddSubscriber.class, this::onAddSubscriber)
        .onMessage(RemoveSubscriber.class, this::onRemoveSubscriber)
        .onMessage(SubscriberTerminated.class, this::onSubscriberTerminated)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(History.class, this::onHistory)
        .onMessage(HistoryOverdue.class, overdue -> onHistoryOverdue())
        .onMessage(Stop.class, this::onStop)
        .onMessage(WorkersStopped.class, stopped -> Behaviors.stopped())
        .build();
  }

  private Behavior<Command> onAddSubscriber(AddSubscriber add) {
    subscribesReceived++;
    Subscriber subscriber = add.subscriber();
    ActorRef<?> owner = subscriber.owner();
    if (!subscribers.containsKey(owner) && !toAskFor.containsKey(owner) && !askedFor.containsKey(owner)) {
      getContext().watchWith(owner, new SubscriberTerminated(owner));
    }
    if (add.resumeFrom().isPresent() && !subscribers.containsKey(owner)) {
      toAskFor.put(owner, new WaitingResume(subscriber, add.requestId(), add.resumeFrom().get()));
      if (registered) {
        askForHistory();
      }
      return this;
    }
    subscribers.put(owner, subscriber);
    if (!registered) {
      awaitingConfirmation.add(new HeldConfirmation(subscriber, add.requestId()));
      return this;
    }
    confirm(subscriber, add.requestId());
    return this;
  }

  private Behavior<Command> onRegistered(Registered registeredNow) {
    epoch = registeredNow.epoch();
    lastSequence = Math.max(lastSequence, registeredNow.sequence());
    if (!registered) {
      registered = true;
      for (HeldConfirmation held : awaitingConfirmation) {
        // One that unsubscribed meanwhile had its unsubscribe confirmed already.
        if (subscribers.containsKey(held.subscriber().owner())) {
          confirm(held.subscriber(), held.requestId());
        }
      }
      awaitingConfirmation.clear();
      askForHistory();
    }
    return this;
  }

  /** Confirmed by whoever delivers to the subscriber, so no message overtakes the confirmation. */
  private void confirm(Subscriber subscriber, long requestId) {
    var confirmation = ServerFrames.subscribed(requestId, topic, epoch, lastSequence, false);
    if (workers != null) {
      workers.tell(new FanoutWorker.Add(subscriber, confirmation));
    } else {
      subscriber.port().offer(confirmation);
      if (subscribers.size() > settings.fanoutParallelThreshold()) {
        startWorkers();
      }
    }
  }

  private void askForHistory() {
    if (historyRequestInFlight || toAskFor.isEmpty()) {
      return;
    }
    askedFor.putAll(toAskFor);
    toAskFor.clear();
    historyRequest++;
    historyRequestInFlight = true;
    Set<String> resumeEpochs = askedFor.values().stream().map(waiting -> waiting.from().epoch())
        .collect(Collectors.toSet());
    registry.tell(new TopicRegistry.ReadHistory(topic, historyRequest, resumeEpochs));
    timers.startSingleTimer(HistoryOverdue.INSTANCE, settings.recoveryTimeout());
  }

  private Behavior<Command> onHistoryOverdue() {
    if (!historyRequestInFlight) {
      return this;
    }
    historyRequestInFlight = false;
    unansweredRequests++;
    if (unansweredRequests >= MAX_UNANSWERED_REQUESTS) {
      // A home that cannot answer (one of an older build during a rolling upgrade, say):
      // subscribed without what they missed rather than not at all.
      unansweredRequests = 0;
      askedFor.values().forEach(waiting -> joinLive(waiting, epoch, lastSequence, false, List.of()));
      askedFor.clear();
    } else {
      // Those asked for first stay first.
      Map<ActorRef<?>, WaitingResume> later = new LinkedHashMap<>(toAskFor);
      toAskFor.clear();
      toAskFor.putAll(askedFor);
      toAskFor.putAll(later);
      askedFor.clear();
    }
    askForHistory();
    return this;
  }

  /**
   * Every message up to the answer's sequence reached this actor before it, and none after
   * it has: each subscriber gets the kept ones it missed, then joins the others.
   */
  private Behavior<Command> onHistory(History answer) {
    if (!historyRequestInFlight || answer.request() != historyRequest) {
      return this;
    }
    timers.cancel(HistoryOverdue.INSTANCE);
    historyRequestInFlight = false;
    unansweredRequests = 0;
    lastSequence = Math.max(lastSequence, answer.sequence());
    List<TopicMessageFrame> kept = answer.kept().stream().map(this::frame).toList();
    for (WaitingResume waiting : askedFor.values()) {
      long after = waiting.from().sequence();
      boolean complete = waiting.from().epoch().equals(answer.epoch())
          && TopicHistory.coversAfter(after, answer.kept(), answer.sequence());
      if (complete) {
        joinLive(waiting, answer.epoch(), after, true,
            kept.stream().filter(message -> message.sequence() > after).toList());
      } else {
        joinLive(waiting, answer.epoch(), answer.sequence(), false, List.of());
      }
    }
    askedFor.clear();
    askForHistory();
    return this;
  }

  /** Confirms a resuming subscriber, gives it what it missed, and delivers to it from now on. */
  private void joinLive(WaitingResume waiting, String epochNow, long sequence, boolean complete,
      List<TopicMessageFrame> missed) {
    OutboundPort port = waiting.subscriber().port();
    port.offer(ServerFrames.subscribed(waiting.requestId(), topic, epochNow, sequence, complete));
    missed.forEach(port::offer);
    metrics.resumed(complete);
    subscribers.put(waiting.subscriber().owner(), waiting.subscriber());
    if (workers != null) {
      workers.tell(new FanoutWorker.Add(waiting.subscriber(), null));
    } else if (subscribers.size() > settings.fanoutParallelThreshold()) {
      startWorkers();
    }
  }

  private Behavior<Command> onRemoveSubscriber(RemoveSubscriber remove) {
    var confirmation = ServerFrames.unsubscribed(remove.requestId(), topic);
    WaitingResume waiting = stopWaiting(remove.subscriber().owner());
    if (waiting != null) {
      // Its subscribe is answered too, with nothing after it: the unsubscribe comes next.
      remove.subscriber().port().offer(ServerFrames.subscribed(waiting.requestId(), topic, epoch, lastSequence,
          false));
    }
    removeSubscriber(remove.subscriber().owner(), remove.subscriber().port(), confirmation);
    return this;
  }

  private Behavior<Command> onSubscriberTerminated(SubscriberTerminated terminated) {
    Subscriber subscriber = subscribers.get(terminated.owner());
    WaitingResume waiting = stopWaiting(terminated.owner());
    if (subscriber != null || waiting != null) {
      removeSubscriber(terminated.owner(), subscriber != null ? subscriber.port() : waiting.subscriber().port(),
          null);
    }
    return this;
  }

  /** Takes a subscriber out of those waiting to resume; null if it was not waiting. */
  private WaitingResume stopWaiting(ActorRef<?> owner) {
    WaitingResume waiting = toAskFor.remove(owner);
    return waiting != null ? waiting : askedFor.remove(owner);
  }

  private TopicMessageFrame frame(TopicEntity.Message stamped) {
    return TopicMessageFrame.of(topic, stamped.sequence(), stamped.payload(),
        Instant.ofEpochMilli(stamped.publishedAtMillis()));
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    for (TopicEntity.Message stamped : deliver.messages()) {
      lastSequence = Math.max(lastSequence, stamped.sequence());
      TopicMessageFrame message = frame(stamped);
      if (workers != null) {
        workers.tell(new FanoutWorker.Deliver(message));
      } else {
        metrics.delivered(FanoutWorker.offerToAll(subscribers.values(), message));
        metrics.fannedOut(System.nanoTime() - message.acceptedAtNanos());
      }
    }
    return this;
  }

  private Behavior<Command> onStop(Stop stop) {
    if (workers == null) {
      return Behaviors.stopped();
    }
    // Workers finish what is queued for them (an unsubscribe confirmation, say) first.
    getContext().watchWith(workers, new WorkersStopped());
    workers.tell(FanoutWorker.Stop.INSTANCE);
    return this;
  }

  /** Removes a subscriber and sends {@code confirmation} (if any) after its last message. */
  private void removeSubscriber(ActorRef<?> owner, OutboundPort port, OutboundFrame confirmation) {
    subscribers.remove(owner);
    getContext().unwatch(owner);
    if (workers != null) {
      workers.tell(new FanoutWorker.Remove(owner, port, confirmation));
    } else if (confirmation != null) {
      port.offer(confirmation);
    }
    if (subscribers.isEmpty() && toAskFor.isEmpty() && askedFor.isEmpty()) {
      registry.tell(new TopicRegistry.TopicIdle(topic, getContext().getSelf(), subscribesReceived));
    }
  }

  private void startWorkers() {
    workers = getContext().spawn(
        Routers.pool(settings.fanoutWorkers(),
                Behaviors.supervise(FanoutWorker.create(metrics)).onFailure(SupervisorStrategy.resume()))
            .withConsistentHashingRouting(10, FanoutWorker::partitionKey)
            .withBroadcastPredicate(FanoutWorker::isForEveryWorker),
        "fanout");
    for (Subscriber subscriber : subscribers.values()) {
      workers.tell(new FanoutWorker.Add(subscriber, null));
    }
  }
}
