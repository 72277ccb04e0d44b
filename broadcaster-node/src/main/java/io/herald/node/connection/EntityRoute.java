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
 * asks again on a later message.
 *
 * <p>When the entity stops (its shard moved to another node, or its node left), the route
 * goes back through sharding, which holds messages while the shard moves. Not thread-safe:
 * its connection actor owns it.
 *
 * @param <M> the entity's message type
 */
final class EntityRoute<M> {

  private final RecipientRef<M> sharded;
  private ActorRef<M> direct;
  private boolean locating;
  private boolean sentWhileLocating;

  EntityRoute(RecipientRef<M> sharded) {
    this.sharded = sharded;
  }

  /** Where the next message goes; call once for each message sent. */
  RecipientRef<M> next() {
    if (direct != null) {
      return direct;
    }
    if (locating) {
      sentWhileLocating = true;
    }
    return sharded;
  }

  /** The route through sharding, for messages that must not go direct (the question itself). */
  RecipientRef<M> sharded() {
    return sharded;
  }

  /**
   * Whether to ask the entity where it is now: only while the route goes through sharding
   * and no question is on its way. A true answer means the caller sends the question
   * through {@link #sharded()} at once.
   */
  boolean startLocating() {
    if (direct != null || locating) {
      return false;
    }
    locating = true;
    sentWhileLocating = false;
    return true;
  }

  /**
   * The entity answered the question. Returns true if the route now goes straight to it,
   * in which case the caller watches it; false if something went through sharding after
   * the question, so a direct message might overtake it.
   */
  boolean located(ActorRef<M> entity) {
    locating = false;
    if (sentWhileLocating || direct != null) {
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

  boolean isDirect() {
    return direct != null;
  }
}
