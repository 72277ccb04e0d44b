package io.herald.node.edge;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractWebSocketUpgrade;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.herald.node.api.ApiResponses;
import io.herald.node.api.BearerToken;
import io.herald.node.api.BodyFormat;
import io.herald.node.connection.ClientRequest;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.connection.OutboundBuffer;
import io.herald.protocol.v1.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;

/**
 * The device edge on Pekko HTTP: {@code GET /v1/ws} on the API port upgrades to a WebSocket
 * whose frames are decoded into a {@link ConnectionActor} and written from its
 * {@link OutboundBuffer}. The only place that knows Pekko HTTP carries the device frames.
 */
public final class PekkoHttpEdge {

  /** The inbound sink's acknowledgement: the connection actor handled a frame. */
  private enum Ack {
    INSTANCE
  }

  private final DeviceAdmission admission;

  PekkoHttpEdge(DeviceAdmission admission) {
    this.admission = admission;
  }

  public Route route() {
    return path(PathMatchers.segment("v1").slash("ws"), () -> get(() -> extractRequest(request ->
        extractWebSocketUpgrade(upgrade -> upgrade(request, upgrade)))));
  }

  /** The route for {@code /v1/ws} when another edge carries device WebSockets: says where. */
  public static Route servedElsewhere(int edgePort) {
    return path(PathMatchers.segment("v1").slash("ws"), () -> complete(ApiResponses.error(StatusCodes.NOT_FOUND,
        ErrorCode.NOT_FOUND, "device WebSockets are served on port " + edgePort + " of this node", BodyFormat.JSON)));
  }

  private Route upgrade(HttpRequest request, WebSocketUpgrade upgrade) {
    List<String> offered = new ArrayList<>();
    upgrade.getRequestedProtocols().forEach(offered::add);
    DeviceAdmission.Verdict verdict = admission.admit(BearerToken.of(request), offered);
    if (verdict instanceof DeviceAdmission.Refused refused) {
      return complete(response(refused));
    }
    var admitted = (DeviceAdmission.Admitted) verdict;
    Flow<Message, Message, NotUsed> flow = connectionFlow(admitted);
    return complete(admitted.subprotocol()
        .map(subprotocol -> upgrade.handleMessagesWith(flow, subprotocol))
        .orElseGet(() -> upgrade.handleMessagesWith(flow)));
  }

  private static HttpResponse response(DeviceAdmission.Refused refused) {
    if (refused.challenge()) {
      return ApiResponses.unauthorized(refused.message(), BodyFormat.JSON);
    }
    HttpResponse response = ApiResponses.error(StatusCodes.get(refused.status()), refused.code(), refused.message(),
        BodyFormat.JSON);
    return refused.retryAfter()
        .map(after -> response.addHeader(RetryAfter.create(Math.max(1, after.toSeconds()))))
        .orElse(response);
  }

  /** Opens the connection when, and only when, the WebSocket stream starts. */
  private Flow<Message, Message, NotUsed> connectionFlow(DeviceAdmission.Admitted admitted) {
    return Flow.<Message, Message, NotUsed>fromMaterializer((materializer, attributes) -> {
          var services = admission.services();
          DeviceAdmission.OpenedConnection opened = admission.open(admitted);
          ActorRef<ConnectionActor.Command> connection = opened.connection();
          Sink<Message, NotUsed> inbound = InboundFrames.decoder(services.settings().maxFrameBytes(), materializer)
              .to(ActorSink.actorRefWithBackpressure(
                  connection,
                  (ActorRef<Ack> ackTo, ClientRequest request) ->
                      new ConnectionActor.Inbound(() -> ackTo.tell(Ack.INSTANCE), request),
                  ackTo -> new ConnectionActor.InboundStarted(() -> ackTo.tell(Ack.INSTANCE)),
                  Ack.INSTANCE,
                  ConnectionActor.InboundCompleted.INSTANCE,
                  ConnectionActor.InboundFailed::new));
          Source<Message, NotUsed> outbound = Source.fromGraph(
              new OutboundSource(opened.outbound(), services.settings().closeTimeout(), services.metrics()));
          return Flow.fromSinkAndSourceCoupled(inbound, outbound);
        })
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }
}
