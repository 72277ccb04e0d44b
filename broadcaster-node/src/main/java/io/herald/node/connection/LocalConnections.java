package io.herald.node.connection;

import io.herald.node.metrics.NodeMetrics;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The live connections of this node: enforces the connection limit and reaches every
 * connection when the node drains. Thread-safe; bounded by the limit it enforces.
 */
public final class LocalConnections {

  private final int maxConnections;
  private final NodeMetrics metrics;
  private final Set<ActorRef<ConnectionActor.Command>> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final CompletableFuture<Void> allClosed = new CompletableFuture<>();
  private volatile boolean draining;

  public LocalConnections(int maxConnections, NodeMetrics metrics) {
    this.maxConnections = maxConnections;
    this.metrics = metrics;
  }

  /** Whether a new connection would be accepted now (checked before the upgrade). */
  public boolean hasRoom() {
    return !draining && open.get() < maxConnections;
  }

  public boolean isDraining() {
    return draining;
  }

  /** Takes a place for a connection; false when the node is full or draining. */
  public boolean tryOpen(ActorRef<ConnectionActor.Command> connection) {
    if (draining) {
      return false;
    }
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      return false;
    }
    live.add(connection);
    metrics.openConnections(open.get());
    return true;
  }

  /** Gives back the place of a connection that ended. */
  public void closed(ActorRef<ConnectionActor.Command> connection) {
    if (live.remove(connection)) {
      int now = open.decrementAndGet();
      metrics.openConnections(now);
      if (now == 0 && draining) {
        allClosed.complete(null);
      }
    }
  }

  public int open() {
    return open.get();
  }

  /**
   * Refuses new connections from now on and tells every live one to leave. Completes when
   * the last connection has closed.
   */
  public CompletionStage<Void> drain(ConnectionActor.Command leave) {
    draining = true;
    live.forEach(connection -> connection.tell(leave));
    if (open.get() == 0) {
      allClosed.complete(null);
    }
    return allClosed;
  }
}
