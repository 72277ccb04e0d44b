package io.herald.node.connection;

import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The live connections of this node: enforces the connection limit and reaches every
 * connection when the node drains or another node leaves. Thread-safe; bounded by the
 * limit it enforces and the cluster's members.
 */
public final class LocalConnections {

  /** Devices told to leave at once during a drain, at most one slice this often. */
  private static final long DRAIN_SLICE_MILLIS = 100;

  private final int maxConnections;
  private final NodeMetrics metrics;
  private final Set<ActorRef<ConnectionActor.Command>> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final CompletableFuture<Void> allClosed = new CompletableFuture<>();
  /** One address string per node holding entities, which every connection here shares. */
  private final ConcurrentHashMap<String, String> entityNodes = new ConcurrentHashMap<>();
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

  /** {@code node}, as the one string every connection that names it shares. */
  String entityNode(String node) {
    return entityNodes.computeIfAbsent(node, address -> address);
  }

  /** Tells every live connection that {@code node} left the cluster. */
  public void nodeRemoved(Address node) {
    String address = node.toString();
    entityNodes.remove(address);
    ConnectionActor.NodeRemoved removed = new ConnectionActor.NodeRemoved(address);
    live.forEach(connection -> connection.tell(removed));
  }

  /**
   * Refuses new connections from now on and tells every live one to leave, in slices spread
   * evenly over {@code period} so the nodes that take the devices over are not stampeded.
   * Completes when the last connection has closed.
   */
  public CompletionStage<Void> drain(ConnectionActor.Command leave, Duration period) {
    draining = true;
    List<ActorRef<ConnectionActor.Command>> leaving = new ArrayList<>(live);
    int slices = (int) Math.max(1, Math.min(leaving.size(), period.toMillis() / DRAIN_SLICE_MILLIS));
    for (int slice = 0; slice < slices; slice++) {
      List<ActorRef<ConnectionActor.Command>> part =
          leaving.subList(slice * leaving.size() / slices, (slice + 1) * leaving.size() / slices);
      long delayMillis = period.toMillis() * slice / slices;
      CompletableFuture.runAsync(() -> part.forEach(connection -> connection.tell(leave)),
          CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS));
    }
    if (open.get() == 0) {
      allClosed.complete(null);
    }
    return allClosed;
  }
}
