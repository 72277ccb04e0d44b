package io.herald.node.ops;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.ClusterNode;
import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.NodeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The whole cluster for {@code GET /v1/cluster} and the status page: every member as this node
 * sees it, each with the numbers it gives of itself when it answers within the timeout.
 *
 * <p>Requests that arrive while a collection runs share it, and so do those that arrive within
 * {@code maxAge} of its end, so a status page open on many screens, or a script polling it, asks
 * each member at most once per round and {@code maxAge}, not once per request.
 */
public final class ClusterStatusView {

  private final ActorSystem<?> system;
  private final Supplier<List<ClusterMember>> members;
  private final Duration timeout;
  private final long maxAgeNanos;
  /** The latest collection; none before the first request. */
  private final AtomicReference<Round> latest = new AtomicReference<>();

  /** One collection, and when it ended. */
  private static final class Round {
    final CompletableFuture<ClusterStatus> status = new CompletableFuture<>();
    // Written before the future completes, so read after isDone() it is the end's.
    volatile long endedAtNanos;

    /** Still running, or ended less than {@code maxAgeNanos} ago without failing. */
    boolean answers(long maxAgeNanos) {
      return !status.isDone()
          || (!status.isCompletedExceptionally() && System.nanoTime() - endedAtNanos < maxAgeNanos);
    }

    void end(ClusterStatus collected, Throwable failure) {
      endedAtNanos = System.nanoTime();
      if (failure == null) {
        status.complete(collected);
      } else {
        status.completeExceptionally(failure);
      }
    }
  }

  /**
   * @param members the cluster's members as this node sees them now
   * @param timeout how long a member has to answer; one that has not is shown without its numbers
   * @param maxAge how long a finished collection still answers new requests; zero for none
   */
  public ClusterStatusView(ActorSystem<?> system, Supplier<List<ClusterMember>> members, Duration timeout,
      Duration maxAge) {
    this.system = system;
    this.members = members;
    this.timeout = timeout;
    this.maxAgeNanos = maxAge.toNanos();
  }

  /** The members and their numbers: collected now, by the collection running, or by one just ended. */
  public CompletionStage<ClusterStatus> current() {
    Round latestRound = latest.get();
    if (latestRound != null && latestRound.answers(maxAgeNanos)) {
      return latestRound.status;
    }
    Round next = new Round();
    if (!latest.compareAndSet(latestRound, next)) {
      return latest.get().status;
    }
    // Whatever happens, this round ends: every later request would wait on it otherwise.
    try {
      List<ClusterMember> seen = members.get();
      answers()
          .handle((answered, noListing) -> combine(seen, noListing == null ? answered : Map.of()))
          .whenComplete(next::end);
    } catch (RuntimeException e) {
      next.end(null, e);
    }
    return next.status;
  }

  /** Each member's answer by its address; those that do not answer in time are left out. */
  private CompletionStage<Map<String, NodeStatus>> answers() {
    CompletionStage<Receptionist.Listing> listing = AskPattern.ask(system.receptionist(),
        (ActorRef<Receptionist.Listing> replyTo) -> Receptionist.find(NodeStatusService.SERVICE_KEY, replyTo),
        timeout, system.scheduler());
    return listing.thenCompose(found -> {
      List<CompletableFuture<Optional<NodeStatus>>> asked = new ArrayList<>();
      for (ActorRef<NodeStatusService.Read> service : found.getServiceInstances(NodeStatusService.SERVICE_KEY)) {
        asked.add(AskPattern.<NodeStatusService.Read, NodeStatusService.Answer>ask(service,
                NodeStatusService.Read::new, timeout, system.scheduler())
            .thenApply(answer -> Optional.of(answer.status()))
            .exceptionally(noAnswer -> Optional.empty())
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(all -> {
        Map<String, NodeStatus> byAddress = new HashMap<>();
        asked.forEach(answer -> answer.join().ifPresent(status -> byAddress.put(status.getAddress(), status)));
        return byAddress;
      });
    });
  }

  /** Every member seen, in order, with its answer where it gave one. */
  static ClusterStatus combine(List<ClusterMember> members, Map<String, NodeStatus> answers) {
    ClusterStatus.Builder cluster = ClusterStatus.newBuilder();
    for (ClusterMember member : members) {
      ClusterNode.Builder node = ClusterNode.newBuilder().setMember(member);
      NodeStatus answer = answers.get(member.getAddress());
      if (answer != null) {
        node.setStatus(answer);
      }
      cluster.addNodes(node);
    }
    return cluster.build();
  }
}
