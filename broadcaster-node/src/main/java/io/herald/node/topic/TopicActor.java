package io.herald.node.topic;

import io.herald.node.connection.OutboundFrame;
import io.herald.node.connection.OutboundPort;
import io.herald.node.connection.ServerFrames;
import io.herald.node.connection.TopicMessageFrame;
import io.herald.node.metrics.NodeMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.Routers;

/**
 * One topic's subscribers on this node. Encodes each message its {@link TopicEntity}
 * stamped once, and offers it to every subscriber's outbound port: directly while the
 * topic is small, through a pool of {@link FanoutWorker}s once it is large. Subscriptions
 * are confirmed once the topic's home has this node registered, so a subscriber gets
 * every message published after its confirmation.
 */
public final class TopicActor extends AbstractBehavior<TopicActor.Command> {

  public interface Command {}

  public record AddSubscriber(Subscriber subscriber, long requestId) implements Command {}

  public record RemoveSubscriber(Subscriber subscriber, long requestId) implements Command {}

  /** The topic's home has this node registered. */
  enum Registered implements Command {
    INSTANCE
  }

  record Deliver(List<TopicEntity.Message> messages) implements Command {}

  /** Sent by the registry once the topic is idle; queued work is finished first. */
  enum Stop implements Command {
    INSTANCE
  }

  private record SubscriberTerminated(ActorRef<?> owner) implements Command {}

  private record WorkersStopped() implements Command {}

  private record HeldConfirmation(Subscriber subscriber, OutboundFrame frame) {}

  public static Behavior<Command> create(String topic, ActorRef<TopicRegistry.Command> registry,
      TopicSettings settings, NodeMetrics metrics) {
    return Behaviors.setup(context -> new TopicActor(context, topic, registry, settings, metrics));
  }

  private final String topic;
  private final ActorRef<TopicRegistry.Command> registry;
  private final TopicSettings settings;
  private final NodeMetrics metrics;
  private final Map<ActorRef<?>, Subscriber> subscribers = new HashMap<>();
  private long subscribesReceived;
  private boolean registered;
  /** Confirmations held until the home has this node registered. */
  private final List<HeldConfirmation> awaitingConfirmation = new ArrayList<>();
  /** Null while the topic delivers directly; once set, the topic stays pooled. */
  private ActorRef<FanoutWorker.Command> workers;

  private TopicActor(ActorContext<Command> context, String topic, ActorRef<TopicRegistry.Command> registry,
      TopicSettings settings, NodeMetrics metrics) {
    super(context);
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
        .onMessage(Registered.class, registeredNow -> onRegistered())
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Stop.class, this::onStop)
        .onMessage(WorkersStopped.class, stopped -> Behaviors.stopped())
        .build();
  }

  private Behavior<Command> onAddSubscriber(AddSubscriber add) {
    subscribesReceived++;
    Subscriber subscriber = add.subscriber();
    if (subscribers.put(subscriber.owner(), subscriber) == null) {
      getContext().watchWith(subscriber.owner(), new SubscriberTerminated(subscriber.owner()));
    }
    var confirmation = ServerFrames.subscribed(add.requestId(), topic);
    if (!registered) {
      awaitingConfirmation.add(new HeldConfirmation(subscriber, confirmation));
      return this;
    }
    confirm(subscriber, confirmation);
    return this;
  }

  private Behavior<Command> onRegistered() {
    if (!registered) {
      registered = true;
      for (HeldConfirmation held : awaitingConfirmation) {
        // One that unsubscribed meanwhile had its unsubscribe confirmed already.
        if (subscribers.containsKey(held.subscriber().owner())) {
          confirm(held.subscriber(), held.frame());
        }
      }
      awaitingConfirmation.clear();
    }
    return this;
  }

  /** Confirmed by whoever delivers to the subscriber, so no message overtakes the confirmation. */
  private void confirm(Subscriber subscriber, OutboundFrame confirmation) {
    if (workers != null) {
      workers.tell(new FanoutWorker.Add(subscriber, confirmation));
    } else {
      subscriber.port().offer(confirmation);
      if (subscribers.size() > settings.fanoutParallelThreshold()) {
        startWorkers();
      }
    }
  }

  private Behavior<Command> onRemoveSubscriber(RemoveSubscriber remove) {
    var confirmation = ServerFrames.unsubscribed(remove.requestId(), topic);
    removeSubscriber(remove.subscriber().owner(), remove.subscriber().port(), confirmation);
    return this;
  }

  private Behavior<Command> onSubscriberTerminated(SubscriberTerminated terminated) {
    Subscriber subscriber = subscribers.get(terminated.owner());
    if (subscriber != null) {
      removeSubscriber(terminated.owner(), subscriber.port(), null);
    }
    return this;
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    for (TopicEntity.Message stamped : deliver.messages()) {
      TopicMessageFrame message = TopicMessageFrame.of(topic, stamped.sequence(), stamped.payload(),
          Instant.ofEpochMilli(stamped.publishedAtMillis()));
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
    if (subscribers.remove(owner) != null) {
      getContext().unwatch(owner);
    }
    if (workers != null) {
      workers.tell(new FanoutWorker.Remove(owner, port, confirmation));
    } else if (confirmation != null) {
      port.offer(confirmation);
    }
    if (subscribers.isEmpty()) {
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
