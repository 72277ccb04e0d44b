package io.herald.node.edge;

import io.herald.node.connection.ConnectionActor;
import io.herald.node.connection.ConnectionServices;
import io.herald.node.connection.OutboundBuffer;
import io.herald.node.connection.OutboundFrame;
import io.herald.node.connection.ServerFrames;
import io.herald.node.connection.TokenBucket;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.DeviceTokens;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * What every device edge decides the same way: whether a WebSocket upgrade to {@code /v1/ws}
 * is admitted (token, subprotocol, room on this node), and what an admitted device gets
 * behind the transport seam (its outbound buffer and connection actor).
 */
final class DeviceAdmission {

  /** The answer to an upgrade request. */
  sealed interface Verdict {}

  /**
   * The device may connect. {@code subprotocol} is the one to confirm in the handshake;
   * empty when the device offered none and gets JSON.
   */
  record Admitted(DeviceIdentity identity, WireFormat format, Optional<String> subprotocol) implements Verdict {}

  /** The upgrade is refused with an HTTP error; no WebSocket is opened. */
  record Refused(int status, ErrorCode code, String message, Optional<Duration> retryAfter) implements Verdict {

    /** A 401 carries the Bearer challenge. */
    boolean challenge() {
      return status == 401;
    }
  }

  /** An admitted device's side of the seam: the edge writes {@code outbound} and feeds {@code connection}. */
  record OpenedConnection(OutboundBuffer outbound, ActorRef<ConnectionActor.Command> connection) {}

  /** One frame for every connection that overflows: frames are immutable and encoded once. */
  private static final OutboundFrame SLOW_CONSUMER_DISCONNECT =
      ServerFrames.disconnect(DisconnectReason.SLOW_CONSUMER, "outbound queue overflowed", Duration.ZERO);

  private final ActorSystem<?> system;
  private final ConnectionServices services;
  private final DeviceTokens tokens;
  /** New connections a second, shared by every edge thread (guarded by itself); null when not refused here. */
  private final TokenBucket acceptRate;
  private final Refused overAcceptRate;

  /**
   * {@code refuseOverRate}: the accept rate's bucket where upgrades over it are refused here
   * (the Pekko HTTP edge, which shares its port with the API); empty where the edge paces
   * its accepts itself (Netty, {@link AcceptPacer}) or there is no limit.
   */
  DeviceAdmission(ActorSystem<?> system, ConnectionServices services, DeviceTokens tokens,
      Optional<TokenBucket> refuseOverRate) {
    this.system = system;
    this.services = services;
    this.tokens = tokens;
    this.acceptRate = refuseOverRate.orElse(null);
    this.overAcceptRate = new Refused(429, ErrorCode.RATE_LIMITED, "this node admits "
        + services.settings().acceptRate() + " new connections a second; retry after a moment",
        Optional.of(Duration.ofSeconds(1)));
  }

  ConnectionServices services() {
    return services;
  }

  /**
   * The token is checked before the upgrade: a refused device never gets a WebSocket. The
   * accept rate, where it is refused here, is taken last, so only a device that would be
   * admitted spends it.
   */
  Verdict admit(Optional<String> token, List<String> offeredSubprotocols) {
    DeviceTokens.Check check = token.map(tokens::verify)
        .orElse(new DeviceTokens.Refused("no token: send Authorization: Bearer <token> or ?token=<token>"));
    if (check instanceof DeviceTokens.Refused refused) {
      return refuse(new Refused(401, ErrorCode.UNAUTHORIZED, refused.reason(), Optional.empty()));
    }
    Optional<WireFormat> format = offeredSubprotocols.isEmpty()
        ? Optional.of(WireFormat.JSON)
        : offeredSubprotocols.stream().map(WireFormat::ofSubprotocol).flatMap(Optional::stream).findFirst();
    if (format.isEmpty()) {
      return refuse(new Refused(400, ErrorCode.INVALID_REQUEST, "no supported subprotocol offered; use "
          + WireFormat.PROTOBUF.subprotocol() + " or " + WireFormat.JSON.subprotocol(), Optional.empty()));
    }
    if (!services.connections().hasRoom()) {
      ErrorCode code = services.connections().isDraining() ? ErrorCode.UNAVAILABLE : ErrorCode.TOO_MANY_CONNECTIONS;
      return refuse(new Refused(503, code, "this node accepts no more connections; try another",
          Optional.of(Duration.ofSeconds(1))));
    }
    if (!withinAcceptRate()) {
      return refuse(overAcceptRate);
    }
    Optional<String> subprotocol = offeredSubprotocols.isEmpty()
        ? Optional.empty()
        : Optional.of(format.get().subprotocol());
    return new Admitted(((DeviceTokens.Accepted) check).identity(), format.get(), subprotocol);
  }

  /** Creates the device's outbound buffer and connection actor, once its WebSocket is open. */
  OpenedConnection open(Admitted admitted) {
    String sessionId = UUID.randomUUID().toString();
    var outbound = new OutboundBuffer(sessionId, admitted.format(), services.settings(), SLOW_CONSUMER_DISCONNECT,
        services.metrics());
    ActorRef<ConnectionActor.Command> connection = system.systemActorOf(
        ConnectionActor.create(sessionId, admitted.identity(), outbound, services),
        "connection-" + sessionId, Props.empty());
    return new OpenedConnection(outbound, connection);
  }

  private boolean withinAcceptRate() {
    if (acceptRate == null) {
      return true;
    }
    synchronized (acceptRate) {
      return acceptRate.tryTake();
    }
  }

  private Refused refuse(Refused refused) {
    services.metrics().connectionRefused(refused.code());
    return refused;
  }
}
