package io.herald.node.edge;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractWebSocketUpgrade;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.herald.node.api.ApiResponses;
import io.herald.node.api.BearerToken;
import io.herald.node.api.BodyFormat;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.connection.ConnectionServices;
import io.herald.node.connection.OutboundBuffer;
import io.herald.node.connection.ServerFrames;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.DeviceTokens;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;

/**
 * The device edge on Pekko HTTP: {@code GET /v1/ws} upgrades to a WebSocket whose frames
 * are decoded into a {@link ConnectionActor} and written from its {@link OutboundBuffer}.
 * The only place that knows Pekko HTTP carries the device frames.
 */
public final class PekkoHttpEdge {

  private final ActorSystem<?> system;
  private final ConnectionServices services;
  private final DeviceTokens tokens;

  public PekkoHttpEdge(ActorSystem<?> system, ConnectionServices services, DeviceTokens tokens) {
    this.system = system;
    this.services = services;
    this.tokens = tokens;
  }

  public Route route() {
    return path(PathMatchers.segment("v1").slash("ws"), () -> get(() -> extractRequest(request ->
        extractWebSocketUpgrade(upgrade -> authenticated(request, upgrade)))));
  }

  /** The token is checked before the upgrade: a refused device never gets a WebSocket. */
  private Route authenticated(HttpRequest request, WebSocketUpgrade upgrade) {
    Optional<String> token = BearerToken.of(request);
    DeviceTokens.Check check = token.map(tokens::verify)
        .orElse(new DeviceTokens.Refused("no token: send Authorization: Bearer <token> or ?token=<token>"));
    if (check instanceof DeviceTokens.Refused refused) {
      services.metrics().connectionRefused(ErrorCode.UNAUTHORIZED);
      return complete(ApiResponses.unauthorized(refused.reason(), BodyFormat.JSON));
    }
    return upgrade(upgrade, ((DeviceTokens.Accepted) check).identity());
  }

  private Route upgrade(WebSocketUpgrade upgrade, DeviceIdentity identity) {
    List<String> offered = new ArrayList<>();
    upgrade.getRequestedProtocols().forEach(offered::add);
    Optional<WireFormat> format = offered.isEmpty()
        ? Optional.of(WireFormat.JSON)
        : offered.stream().map(WireFormat::ofSubprotocol).flatMap(Optional::stream).findFirst();
    if (format.isEmpty()) {
      services.metrics().connectionRefused(ErrorCode.INVALID_REQUEST);
      return complete(ApiResponses.error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          "no supported subprotocol offered; use " + WireFormat.PROTOBUF.subprotocol() + " or "
              + WireFormat.JSON.subprotocol(), BodyFormat.JSON));
    }
    if (!services.connections().hasRoom()) {
      ErrorCode code = services.connections().isDraining() ? ErrorCode.UNAVAILABLE : ErrorCode.TOO_MANY_CONNECTIONS;
      services.metrics().connectionRefused(code);
      return complete(ApiResponses.unavailable(code, "this node accepts no more connections; try another",
          Duration.ofSeconds(1), BodyFormat.JSON));
    }
    Flow<Message, Message, NotUsed> flow = connectionFlow(format.get(), identity);
    return complete(offered.isEmpty()
        ? upgrade.handleMessagesWith(flow)
        : upgrade.handleMessagesWith(flow, format.get().subprotocol()));
  }

  /** Creates the connection actor when, and only when, the WebSocket stream starts. */
  private Flow<Message, Message, NotUsed> connectionFlow(WireFormat format, DeviceIdentity identity) {
    return Flow.<Message, Message, NotUsed>fromMaterializer((materializer, attributes) -> {
          var settings = services.settings();
          String sessionId = UUID.randomUUID().toString();
          var buffer = new OutboundBuffer(sessionId, format, settings,
              ServerFrames.disconnect(DisconnectReason.SLOW_CONSUMER, "outbound queue overflowed", Duration.ZERO),
              services.metrics());
          ActorRef<ConnectionActor.Command> connection = system.systemActorOf(
              ConnectionActor.create(sessionId, identity, buffer, services), "connection-" + sessionId, Props.empty());
          Sink<Message, NotUsed> inbound = InboundFrames.decoder(settings.maxFrameBytes(), materializer)
              .to(ActorSink.actorRefWithBackpressure(
                  connection,
                  ConnectionActor.Inbound::new,
                  ConnectionActor.InboundStarted::new,
                  ConnectionActor.InboundAck.INSTANCE,
                  ConnectionActor.InboundCompleted.INSTANCE,
                  ConnectionActor.InboundFailed::new));
          Source<Message, NotUsed> outbound =
              Source.fromGraph(new OutboundSource(buffer, settings.closeTimeout(), services.metrics()));
          return Flow.fromSinkAndSourceCoupled(inbound, outbound);
        })
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }
}
