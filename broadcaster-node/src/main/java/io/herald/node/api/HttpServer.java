package io.herald.node.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;

import io.herald.node.NodeSettings;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.connection.LocalConnections;
import io.herald.node.ops.StartupFailure;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the node's HTTP port and ties it to coordinated shutdown: stop accepting, tell
 * the devices to leave in slices over the drain period and wait for them within the drain
 * timeout, then close the rest. Cluster Sharding hands the node's shards off after that,
 * in its own phase.
 */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, NodeSettings settings, Route routes,
      LocalConnections connections) {
    Route sealed = routes.seal(rejectionsAsErrorResponses(), ExceptionHandler.newBuilder()
        .matchAny(failure -> {
          log.error("request failed", failure);
          return complete(ApiResponses.error(StatusCodes.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL,
              "the node failed to serve this request", BodyFormat.JSON));
        })
        .build());
    return Http.get(system)
        .newServerAt(settings.httpInterface(), settings.httpPort())
        .bind(sealed)
        .whenComplete((binding, failure) -> {
          if (failure != null) {
            log.error("could not bind {}:{}; stopping", settings.httpInterface(), settings.httpPort(), failure);
            StartupFailure.stopNode();
          } else {
            log.info("Herald node {} serving on http://{}:{}", settings.nodeId(),
                binding.localAddress().getHostString(), binding.localAddress().getPort());
            addShutdownTasks(system, settings, binding, connections);
          }
        });
  }

  /** Combines route fragments; the first that matches a request serves it. */
  public static Route routes(Route... fragments) {
    return concat(fragments[0], java.util.Arrays.copyOfRange(fragments, 1, fragments.length));
  }

  private static void addShutdownTasks(ActorSystem<?> system, NodeSettings settings, ServerBinding binding,
      LocalConnections connections) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "herald-stop-accepting",
        () -> binding.unbind().thenApply(unbound -> Done.getInstance()));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "herald-disconnect-devices", () -> {
      log.info("disconnecting {} devices over {}, waiting up to {}", connections.open(), settings.drainPeriod(),
          settings.drainTimeout());
      return connections.drain(new ConnectionActor.Leave(settings.reconnectAfter()), settings.drainPeriod())
          .toCompletableFuture()
          .completeOnTimeout(null, settings.drainTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .thenApply(drained -> Done.getInstance());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "herald-close-http",
        () -> binding.terminate(Duration.ofSeconds(1)).thenApply(terminated -> Done.getInstance()));
  }

  /** Pekko's own rejections (404, 405, 400 ...) with an ErrorResponse body instead of text. */
  private static RejectionHandler rejectionsAsErrorResponses() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity() instanceof HttpEntity.Strict strict
          && !strict.getContentType().mediaType().subType().equals("json")) {
        HttpResponse mapped = ApiResponses.error(response.status(), ApiResponses.codeFor(response.status()),
            strict.getData().utf8String(), BodyFormat.JSON);
        return mapped.addHeaders(response.getHeaders());
      }
      return response;
    });
  }
}
