package io.herald.node.edge;

import io.herald.node.NodeSettings;
import io.herald.node.connection.ConnectionServices;
import io.herald.node.connection.ConnectionSettings;
import io.herald.node.connection.TokenBucket;
import io.herald.node.ops.StartupFailure;
import io.herald.node.security.DeviceTokens;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device edge the configuration chooses ({@code herald.edge}): Netty on its own port,
 * or Pekko HTTP beside the API. Either way the same admission and the same connection
 * actors stand behind it; draining the devices is the HTTP server's shutdown task for both.
 */
public final class DeviceEdge {

  private static final Logger log = LoggerFactory.getLogger(DeviceEdge.class);

  private final Route route;
  private final CompletionStage<Done> serving;

  private DeviceEdge(Route route, CompletionStage<Done> serving) {
    this.route = route;
    this.serving = serving;
  }

  public static DeviceEdge start(ActorSystem<?> system, NodeSettings settings, ConnectionServices services,
      DeviceTokens tokens) {
    EdgeSettings edge = settings.edge();
    Optional<TokenBucket> acceptRate = acceptRate(services.settings());
    if (edge.transport() == EdgeSettings.Transport.PEKKO_HTTP) {
      // It shares its port with the API, whose accepts must go on: over the accept rate it refuses (429).
      var admission = new DeviceAdmission(system, services, tokens, acceptRate);
      return new DeviceEdge(new PekkoHttpEdge(admission).route(), CompletableFuture.completedFuture(Done.getInstance()));
    }
    // On a port of its own, Netty paces its accepts to the accept rate instead (AcceptPacer).
    var admission = new DeviceAdmission(system, services, tokens, Optional.empty());
    CompletionStage<Done> serving = NettyEdge.start(settings.httpInterface(), edge, admission, acceptRate)
        .whenComplete((netty, failure) -> {
          if (failure != null) {
            log.error("could not bind the device edge on {}:{}; stopping", settings.httpInterface(), edge.nettyPort(),
                failure);
            StartupFailure.stopNode();
          } else {
            addShutdownTasks(system, netty);
          }
        })
        .thenApply(netty -> Done.getInstance());
    return new DeviceEdge(PekkoHttpEdge.servedElsewhere(edge.nettyPort()), serving);
  }

  /** The bucket of {@code herald.connection.accept-rate}; empty when there is no limit. */
  private static Optional<TokenBucket> acceptRate(ConnectionSettings settings) {
    return settings.acceptRate() == 0
        ? Optional.empty()
        : Optional.of(new TokenBucket(settings.acceptRate(), settings.acceptBurst(), System::nanoTime));
  }

  /** Unbinds with the HTTP server; closes what is left once the devices were drained. */
  private static void addShutdownTasks(ActorSystem<?> system, NettyEdge netty) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "herald-stop-accepting-devices",
        () -> netty.unbind().thenApply(unbound -> Done.getInstance()));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "herald-close-device-edge",
        () -> netty.terminate().thenApply(terminated -> Done.getInstance()));
  }

  /** What Pekko HTTP serves at {@code /v1/ws}: the WebSocket, or where to find it. */
  public Route route() {
    return route;
  }

  /** Completes once devices can connect. */
  public CompletionStage<Done> serving() {
    return serving;
  }
}
