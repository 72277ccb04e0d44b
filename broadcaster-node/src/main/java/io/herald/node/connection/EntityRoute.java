package io.herald.node.connection;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * How a connection reaches its device's entity: through Cluster Sharding until the entity
 * has said where it lives, then straight to it. Each message through sharding passes the
 * node's shard region and the entity's shard, two actors that every report on the node
 * shares; the direct route skips both.
 *
 * <p>Order is kept. Messages through sharding reach the entity in the order they were
 * sent, and so do messages sent straight to it, but a direct message could overtake one
 * still on its way through sharding. So the route asks where the entity is with a message
 * through sharding, and goes direct only if nothing else went through sharding after the
 * question: its answer then comes after every earlier message was handled. Otherwise it
 * asks again on a later message. Questions are numbered, so a late answer to an older one
 * proves nothing, and one whose answer never comes (lost while its shard moved) is asked
 * again after a few messages.
 *
 * <p>When the entity stops (its shard moved to another node, or its node left), the route
 * goes back through sharding, which holds messages while the shard moves. Not thread-safe:
 * its connection actor owns it.
 *
 * @param <M> the entity's message type
 */
final class EntityRoute<M> {

  /** Messages sent through sharding while a question waits before it is asked again. */
  static final int ASK_AGAIN_AFTER = 16;

  private final RecipientRef<M> sharded;
  private ActorRef<M> direct;
  /** The number of the latest question; answers to older ones are ignored. */
  private long question;
  private boolean awaitingAnswer;
  private int sentSinceQuestion;

  EntityRoute(RecipientRef<M> sharded) {
    this.sharded = sharded;
  }

  /** Where the next message goes; call once for each message sent. */
  RecipientRef<M> next() {
    if (direct != null) {
      return direct;
    }
    if (awaitingAnswer) {
      sentSinceQuestion++;
    }
    return sharded;
  }

  /** The route through sharding, for messages that must not go direct (the question itself). */
  RecipientRef<M> sharded() {
    return sharded;
  }

  /**
   * The number under which to ask the entity where it is now, or 0 for not now. It asks
   * while the route goes through sharding and no question waits, and asks again under a
   * new number once {@link #ASK_AGAIN_AFTER} messages have gone after a question that was
   * not answered (it can be lost while its shard moves). A non-zero number means the caller
   * sends the question through {@link #sharded()} at once.
   */
  long nextQuestion() {
    if (direct != null || (awaitingAnswer && sentSinceQuestion < ASK_AGAIN_AFTER)) {
      return 0;
    }
    awaitingAnswer = true;
    sentSinceQuestion = 0;
    return ++question;
  }

  /**
   * The entity answered question {@code answered}. Returns true if the route now goes
   * straight to it, in which case the caller watches it; false for an older question's
   * answer, or if something went through sharding after the question, so that a direct
   * message might overtake it (the next message asks again).
   */
  boolean located(long answered, ActorRef<M> entity) {
    if (direct != null || answered != question) {
      return false;
    }
    awaitingAnswer = false;
    if (sentSinceQuestion > 0) {
      return false;
    }
    direct = entity;
    return true;
  }

  /** The entity stopped; returns true if the route went straight to it and now goes through sharding. */
  boolean stopped(ActorRef<?> entity) {
    if (direct != null && direct.equals(entity)) {
      direct = null;
      return true;
    }
    return false;
  }
}
