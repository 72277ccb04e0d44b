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
 * <p>Requests that arrive while a collection runs share it, so a status page open on many
 * screens asks each member once per round, not once per screen.
 */
public final class ClusterStatusView {

  private final ActorSystem<?> system;
  private final Supplier<List<ClusterMember>> members;
  private final Duration timeout;
  private final AtomicReference<CompletableFuture<ClusterStatus>> latest =
      new AtomicReference<>(CompletableFuture.completedFuture(ClusterStatus.getDefaultInstance()));

  /**
   * @param members the cluster's members as this node sees them now
   * @param timeout how long a member has to answer; one that has not is shown without its numbers
   */
  public ClusterStatusView(ActorSystem<?> system, Supplier<List<ClusterMember>> members, Duration timeout) {
    this.system = system;
    this.members = members;
    this.timeout = timeout;
  }

  /** The members and their numbers, collected now or by the collection already running. */
  public CompletionStage<ClusterStatus> current() {
    CompletableFuture<ClusterStatus> running = latest.get();
    if (!running.isDone()) {
      return running;
    }
    CompletableFuture<ClusterStatus> next = new CompletableFuture<>();
    if (!latest.compareAndSet(running, next)) {
      return latest.get();
    }
    // Whatever happens, this round ends: every later request would wait on it otherwise.
    try {
      List<ClusterMember> seen = members.get();
      answers()
          .handle((answered, noListing) -> combine(seen, noListing == null ? answered : Map.of()))
          .whenComplete((status, failure) -> {
            if (failure == null) {
              next.complete(status);
            } else {
              next.completeExceptionally(failure);
            }
          });
    } catch (RuntimeException e) {
      next.completeExceptionally(e);
    }
    return next;
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
