package io.herald.node.connection;

import io.herald.node.device.FieldValue;
import io.herald.node.device.StateValues;
import io.herald.protocol.Json;
import io.herald.protocol.v1.DesiredState;
import io.herald.protocol.v1.StateAccepted;
import java.util.Map;
import io.herald.protocol.v1.Disconnect;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.Error;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.Limits;
import io.herald.protocol.v1.Ping;
import io.herald.protocol.v1.Pong;
import io.herald.protocol.v1.Published;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.Subscribed;
import io.herald.protocol.v1.Unsubscribed;
import io.herald.protocol.v1.Welcome;
import java.time.Duration;

/** Builds the node's control frames (everything but topic messages). */
public final class ServerFrames {

  /** The protocol version announced in every welcome frame. */
  public static final String PROTOCOL_VERSION = "1";

  private ServerFrames() {}

  public static OutboundFrame welcome(String sessionId, String nodeId, ConnectionSettings settings, int maxTopicLength) {
    return control(ServerFrame.newBuilder().setWelcome(Welcome.newBuilder()
        .setSessionId(sessionId)
        .setNodeId(nodeId)
        .setHeartbeatIntervalMs(millis(settings.heartbeatInterval()))
        .setHeartbeatTimeoutMs(millis(settings.heartbeatTimeout()))
        .setProtocolVersion(PROTOCOL_VERSION)
        .setLimits(Limits.newBuilder()
            .setMaxFrameBytes(settings.maxFrameBytes())
            .setMaxSubscriptions(settings.maxSubscriptions())
            .setMaxTopicLength(maxTopicLength)
            .setPublishRatePerSecond(settings.publishRate())
            .setPublishBurst(settings.publishBurst()))));
  }

  /** Confirms again a subscription the connection already holds (its first confirmation said where it starts). */
  public static OutboundFrame subscribed(long requestId, String topic) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setSubscribed(Subscribed.newBuilder().setTopic(topic)));
  }

  /** Confirms a subscription: every message after {@code sequence} of {@code epoch} follows. */
  public static OutboundFrame subscribed(long requestId, String topic, String epoch, long sequence, boolean resumed) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setSubscribed(Subscribed.newBuilder().setTopic(topic).setEpoch(epoch).setSequence(sequence)
            .setResumed(resumed)));
  }

  public static OutboundFrame unsubscribed(long requestId, String topic) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setUnsubscribed(Unsubscribed.newBuilder().setTopic(topic)));
  }

  public static OutboundFrame published(long requestId, String topic, long sequence) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setPublished(Published.newBuilder().setTopic(topic).setSequence(sequence)));
  }

  public static OutboundFrame stateAccepted(long requestId, long version) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setStateAccepted(StateAccepted.newBuilder().setVersion(version)));
  }

  public static OutboundFrame desired(long version, Map<String, FieldValue> desired, Map<String, FieldValue> delta) {
    return control(ServerFrame.newBuilder().setDesired(DesiredState.newBuilder()
        .setVersion(version)
        .putAllDesired(StateValues.toWire(desired))
        .putAllDelta(StateValues.toWire(delta))));
  }

  public static OutboundFrame error(long requestId, ErrorCode code, String message) {
    return control(ServerFrame.newBuilder().setRequestId(requestId)
        .setError(Error.newBuilder().setCode(code).setMessage(message)));
  }

  public static OutboundFrame ping() {
    return PING;
  }

  public static OutboundFrame pong(long requestId) {
    return control(ServerFrame.newBuilder().setRequestId(requestId).setPong(Pong.getDefaultInstance()));
  }

  public static OutboundFrame disconnect(DisconnectReason reason, String message, Duration reconnectAfter) {
    return control(ServerFrame.newBuilder().setDisconnect(Disconnect.newBuilder()
        .setReason(reason)
        .setMessage(message)
        .setReconnect(true)
        .setReconnectAfterMs(millis(reconnectAfter))));
  }

  private static final OutboundFrame PING =
      control(ServerFrame.newBuilder().setPing(Ping.getDefaultInstance()));

  private static OutboundFrame control(ServerFrame.Builder frame) {
    return new ControlFrame(frame.build());
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }

  private static final class ControlFrame extends OutboundFrame {
    private final ServerFrame frame;

    ControlFrame(ServerFrame frame) {
      this.frame = frame;
    }

    @Override
    protected byte[] encodeBinary() {
      return frame.toByteArray();
    }

    @Override
    protected String encodeJson() {
      return Json.print(frame);
    }
  }
}
