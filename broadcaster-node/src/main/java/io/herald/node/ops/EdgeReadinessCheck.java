package io.herald.node.ops;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Readiness check for Pekko Management ({@code /ready}): fails before the device edge is
 * bound and from the moment the node starts draining, so load balancers send no new
 * devices to it.
 */
public final class EdgeReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final EdgeState edge;

  public EdgeReadinessCheck(ActorSystem system) {
    this.edge = EdgeState.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(edge.isServing());
  }
}
