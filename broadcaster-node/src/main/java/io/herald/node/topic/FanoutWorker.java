package io.herald.node.topic;

import io.herald.node.connection.OutboundFrame;
import io.herald.node.connection.OutboundPort;
import io.herald.node.connection.TopicMessageFrame;
import io.herald.node.metrics.NodeMetrics;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns one partition of a hot topic's subscribers and offers every message of the topic
 * to them. The pool router hashes a subscriber to the same worker for adding and
 * removing, and broadcasts deliveries, so each subscriber gets messages in topic order.
 */
public final class FanoutWorker extends AbstractBehavior<FanoutWorker.Command> {

  public interface Command {}

  /** Adds a subscriber; a non-null confirmation is offered to it first. */
  public record Add(Subscriber subscriber, OutboundFrame confirmation) implements Command {}

  /** Removes a subscriber; a non-null confirmation is offered after its last message. */
  public record Remove(ActorRef<?> owner, OutboundPort port, OutboundFrame confirmation) implements Command {}

  public record Deliver(TopicMessageFrame message) implements Command {}

  public enum Stop implements Command {
    INSTANCE
  }

  public static Behavior<Command> create(NodeMetrics metrics) {
    return Behaviors.setup(context -> new FanoutWorker(context, metrics));
  }

  /** The pool sends these to every worker; the rest go to the worker owning the subscriber. */
  static boolean isForEveryWorker(Command command) {
    return command instanceof Deliver || command instanceof Stop;
  }

  /** The consistent-hashing key that places a subscriber in one partition. */
  static String partitionKey(Command command) {
    if (command instanceof Add add) {
      return add.subscriber().owner().path().toString();
    }
    if (command instanceof Remove remove) {
      return remove.owner().path().toString();
    }
    return "";
  }

  /** Offers a message to every subscriber; returns how many took it. Never blocks. */
  static int offerToAll(Collection<Subscriber> subscribers, TopicMessageFrame message) {
    int delivered = 0;
    for (Subscriber subscriber : subscribers) {
      if (subscriber.port().offer(message) != OutboundPort.OfferResult.CLOSED) {
        delivered++;
      }
    }
    return delivered;
  }

  private final NodeMetrics metrics;
  private final Map<ActorRef<?>, Subscriber> partition = new HashMap<>();

  private FanoutWorker(ActorContext<Command> context, NodeMetrics metrics) {
    super(context);
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Add.class, this::onAdd)
        .onMessage(Remove.class, this::onRemove)
        .onMessage(Stop.class, stop -> Behaviors.stopped())
        .build();
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    metrics.delivered(offerToAll(partition.values(), deliver.message()));
    metrics.fannedOut(System.nanoTime() - deliver.message().acceptedAtNanos());
    return this;
  }

  private Behavior<Command> onAdd(Add add) {
    if (add.confirmation() != null) {
      add.subscriber().port().offer(add.confirmation());
    }
    partition.put(add.subscriber().owner(), add.subscriber());
    return this;
  }

  private Behavior<Command> onRemove(Remove remove) {
    partition.remove(remove.owner());
    if (remove.confirmation() != null) {
      remove.port().offer(remove.confirmation());
    }
    return this;
  }
}
